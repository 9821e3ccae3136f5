import { describe, expect, it } from 'vitest'
import { isAuthUrl, isTokenEndpointRequest, parseAuthRoutes } from '../../common/authTraffic.js'
import { SwBearerError } from '../../common/errors.js'

const LISTED: ReadonlySet<string> = new Set(['https://api.example.com', 'https://app.example.com'])
const WORKER = 'https://app.example.com/sw.js'
const invalid = (entry: string) => new SwBearerError('invalid-options', `bad ${entry}`)

const form = (body: string, contentType = 'application/x-www-form-urlencoded;charset=UTF-8') =>
  new Request('https://api.example.com/oauth/token', { method: 'POST', headers: { 'Content-Type': contentType }, body })

describe('the SDK traffic the worker leaves alone', () => {
  it('matches authRoutes by exact origin, and by path exactly or as a subtree when it ends in /', () => {
    const routes = parseAuthRoutes(['https://api.example.com/auth/token', 'https://app.example.com/oauth/'], LISTED, WORKER, invalid)
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

  it('takes a route relative to the worker script, as a same-origin app writes it', () => {
    expect(parseAuthRoutes(['/api/auth/token'], LISTED, WORKER, invalid)).toEqual([{ origin: 'https://app.example.com', path: '/api/auth/token' }])
    expect(parseAuthRoutes(undefined, LISTED, WORKER, invalid)).toEqual([])
    expect(parseAuthRoutes(null, LISTED, WORKER, invalid)).toEqual([])
  })

  it('refuses routes off the listed origins, whole origins, query, fragment, userinfo and non-lists', () => {
    for (const bad of [
      ['https://api.example.com'], // would take the whole API out of injection
      ['https://api.example.com/'],
      ['https://unlisted.example.com/token'],
      ['ftp://api.example.com/token'],
      ['https://api.example.com/a?b'],
      ['https://api.example.com/#a'],
      ['https://u:p@api.example.com/token'],
      [42],
      'https://api.example.com/token',
    ]) {
      expect(() => parseAuthRoutes(bad as never, LISTED, WORKER, invalid), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'invalid-options' }))
    }
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
