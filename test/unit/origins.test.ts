import { describe, expect, it } from 'vitest'
import { parseOrigins } from '../../sw/origins.js'

const matches = (configured: string[], url: string) => parseOrigins(configured).origins.has(new URL(url).origin)

describe('origin matching', () => {
  const api = ['https://api.example.com']

  it('matches the exact origin, whatever the path, query or default port spelling', () => {
    expect(matches(api, 'https://api.example.com/v1/me?x=1')).toBe(true)
    expect(matches(api, 'https://api.example.com:443/')).toBe(true)
    expect(matches(api, 'https://API.Example.COM/')).toBe(true)
    expect(matches(['https://api.example.com:443/'], 'https://api.example.com/')).toBe(true)
  })

  it('does not match other schemes, ports, lookalikes, subdomains, trailing dots or userinfo tricks', () => {
    for (const url of [
      'http://api.example.com/',
      'https://api.example.com:8443/',
      'https://api.example.com.evil.test/',
      'https://evil-api.example.com/',
      'https://x.api.example.com/',
      'https://example.com/',
      'https://api.example.com./',
      'https://api.example.com@evil.test/',
      'https://evil.test/https://api.example.com',
      'https://xn--pi-7ka.example.com/',
    ]) {
      expect(matches(api, url), url).toBe(false)
    }
  })

  it('compares IDN hosts in their punycode form', () => {
    expect(matches(['https://bücher.example'], 'https://xn--bcher-kva.example/')).toBe(true)
    expect(matches(['https://bücher.example'], 'https://bucher.example/')).toBe(false)
  })

  it('refuses a list that is not bare http(s) origins', () => {
    for (const bad of [[], ['api.example.com'], ['https://api.example.com/v1'], ['https://u:p@api.example.com'], ['ftp://x.test'], ['https://a.test?x'], ['https://a.test#x'], [42]]) {
      expect(() => parseOrigins(bad as string[]), JSON.stringify(bad)).toThrow(expect.objectContaining({ name: 'SwBearerError', code: 'invalid-options' }))
    }
  })

  it('maps an origin listed with a resource to that resource, and a plain one to the default token', () => {
    const { origins, resourceOf } = parseOrigins(['https://api.example.com', { origin: 'https://billing.example.com/', resource: 'https://billing.example.com/' }])
    expect([...origins]).toEqual(['https://api.example.com', 'https://billing.example.com'])
    expect(resourceOf.get('https://api.example.com')).toBeUndefined()
    expect(resourceOf.get('https://billing.example.com')).toBe('https://billing.example.com/')
  })

  it('refuses a resource entry that is not an origin with a printable resource, and one origin with two resources', () => {
    const api = 'https://api.example.com'
    for (const bad of [
      [{ origin: api }],
      [{ origin: api, resource: '' }],
      [{ origin: api, resource: 'two words' }],
      [{ origin: api, resource: 'line\nbreak' }],
      [{ origin: 'https://api.example.com/v1', resource: 'https://r/' }],
      [{ origin: api, resource: 'x'.repeat(2049) }],
      [api, { origin: api, resource: 'https://r/' }],
      [null],
    ]) {
      expect(() => parseOrigins(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ name: 'SwBearerError', code: 'invalid-options' }))
    }
  })
})
