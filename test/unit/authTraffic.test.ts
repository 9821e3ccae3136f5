import { describe, expect, it } from 'vitest'
import { isAuthUrl, isTokenEndpointRequest, parseAuthRoutes } from '../../sw/authTraffic.js'

const form = (body: string, contentType = 'application/x-www-form-urlencoded;charset=UTF-8') =>
  new Request('https://api.example.com/oauth/token', { method: 'POST', headers: { 'Content-Type': contentType }, body })

describe('the SDK traffic the worker leaves alone', () => {
  it('matches authRoutes by exact origin, and by path exactly or as a subtree when it ends in /', () => {
    const routes = parseAuthRoutes(['https://api.example.com/auth/token', 'https://app.example.com/oauth/'])
    const hit = (url: string) => isAuthUrl(new URL(url), routes)
    expect(hit('https://api.example.com/auth/token')).toBe(true)
    expect(hit('https://api.example.com/auth/token?x=1')).toBe(true)
    expect(hit('https://api.example.com/auth/token/more')).toBe(false)
    expect(hit('https://api.example.com/auth/tokens')).toBe(false)
    expect(hit('https://api.example.com:8443/auth/token')).toBe(false)
    expect(hit('http://api.example.com/auth/token')).toBe(false)
    expect(hit('https://app.example.com/oauth/token')).toBe(true)
    expect(hit('https://app.example.com/oauth')).toBe(false)
    expect(hit('https://app.example.com/api/me')).toBe(false)
  })

  it('leaves well-known URIs (RFC 8615: discovery, JWKS) alone without configuration', () => {
    expect(isAuthUrl(new URL('https://api.example.com/.well-known/openid-configuration'), [])).toBe(true)
    expect(isAuthUrl(new URL('https://api.example.com/well-known/x'), [])).toBe(false)
  })

  it('refuses authRoutes that are not absolute http(s) URLs without query, fragment or userinfo', () => {
    for (const bad of [['/relative'], ['ftp://x.test/'], ['https://x.test/a?b'], ['https://x.test/#a'], ['https://u:p@x.test/'], [42], 'https://x.test/']) {
      expect(() => parseAuthRoutes(bad as never)).toThrow(expect.objectContaining({ code: 'invalid-options' }))
    }
    expect(parseAuthRoutes(undefined)).toEqual([])
  })

  it('recognises OAuth token requests (RFC 6749) and revocations (RFC 7009) by their form body, and nothing else', async () => {
    expect(await isTokenEndpointRequest(form('grant_type=refresh_token&refresh_token=r&client_id=spa'))).toBe(true)
    expect(await isTokenEndpointRequest(form('token=t&token_type_hint=refresh_token'))).toBe(true)
    expect(await isTokenEndpointRequest(form('grant_type=x', 'application/x-www-form-urlencoded'))).toBe(true)
    expect(await isTokenEndpointRequest(form('token=tok_visa&amount=10'))).toBe(false) // a payment API's form
    expect(await isTokenEndpointRequest(form('{"grant_type":"refresh_token"}', 'application/json'))).toBe(false)
    expect(await isTokenEndpointRequest(new Request('https://api.example.com/oauth/token?grant_type=x'))).toBe(false)
  })

  it('reads a copy: the request body is still there to send', async () => {
    const request = form('grant_type=refresh_token&refresh_token=r')
    await isTokenEndpointRequest(request)
    expect(await request.text()).toBe('grant_type=refresh_token&refresh_token=r')
  })
})
