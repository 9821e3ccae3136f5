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
})
