import { describe, expect, it } from 'vitest'
import { readCredential } from '../../common/dpopCredential.js'

const pair = (extractable: boolean) => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, extractable, ['sign', 'verify'])

describe('what a getter may return (RFC 9449 DPoP credentials beside Bearer strings)', () => {
  it('takes a string as a Bearer token, null or undefined as signed out', () => {
    expect(readCredential('abc')).toEqual({ token: 'abc' })
    expect(readCredential(null)).toBeNull()
    expect(readCredential(undefined)).toBeNull()
  })

  it('takes { token, type: DPoP, key } with a non-extractable key pair', async () => {
    const key = await pair(false)
    expect(readCredential({ token: 'abc', type: 'DPoP', key })).toEqual({ token: 'abc', key })
  })

  it('refuses an extractable private key, a missing key, another type, and a token that is no header value, as invalid-token without the token', async () => {
    const secret = 'secret-token'
    for (const bad of [
      { token: secret, type: 'DPoP', key: await pair(true) },
      { token: secret, type: 'DPoP' },
      { token: secret, type: 'DPoP', key: { privateKey: 'x', publicKey: 'y' } },
      { token: secret, type: 'Bearer', key: await pair(false) },
      { token: 'line\nbreak', type: 'DPoP', key: await pair(false) },
      42,
    ]) {
      let error: unknown
      try {
        readCredential(bad)
      } catch (e) {
        error = e
      }
      expect(error, JSON.stringify(bad)).toMatchObject({ name: 'SwBearerError', code: 'invalid-token' })
      expect(String((error as Error).message)).not.toContain(secret)
    }
  })
})
