import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { asksForNonce, DpopNonces } from '../../sw/dpop/nonces.js'
import { accessTokenHash, proofSigner, targetUri } from '../../sw/dpop/proof.js'

const claims = { jti: 'j1', htm: 'POST', htu: 'https://api.example.com/x', iat: 1_700_000_000, ath: 'abc' }

describe('DPoP proofs (RFC 9449 §4)', () => {
  it('signs with a non-extractable ES256 key: typ dpop+jwt, the public jwk only, a signature the embedded key verifies', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const proof = await (await proofSigner(keys))!(claims)
    const header = decodeProtectedHeader(proof)
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256' } })
    expect(Object.keys(header.jwk!).sort()).toEqual(['crv', 'kty', 'x', 'y'])
    const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'], currentDate: new Date(claims.iat * 1000) })
    expect(payload).toEqual(claims)
    expect(await calculateJwkThumbprint(header.jwk!)).toBe(await calculateJwkThumbprint((await crypto.subtle.exportKey('jwk', keys.publicKey)) as never))
    await expect(crypto.subtle.exportKey('jwk', keys.privateKey)).rejects.toThrow()
  })

  it('signs with RSA (PS256, RS256) and Ed25519 keys too, each verifiable with its embedded key', async () => {
    const rsa = { modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    for (const [algorithm, alg] of [
      [{ name: 'RSA-PSS', ...rsa }, 'PS256'],
      [{ name: 'RSASSA-PKCS1-v1_5', ...rsa }, 'RS256'],
      [{ name: 'Ed25519' }, 'EdDSA'],
    ] as const) {
      const keys = (await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair
      const proof = await (await proofSigner(keys))!(claims)
      expect(decodeProtectedHeader(proof).alg, alg).toBe(alg)
      const { payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', currentDate: new Date(claims.iat * 1000) })
      expect(payload.jti, alg).toBe('j1')
    }
  })

  it('refuses a key that cannot sign (an encryption key)', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
    expect(await proofSigner(keys as CryptoKeyPair)).toBeNull()
  })

  it('hashes the token for ath (base64url SHA-256) and strips query and fragment from htu', async () => {
    // RFC 9449 §7.1's example token and its ath.
    expect(await accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU')).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo')
    expect(targetUri('https://api.example.com/a/b?x=1#f')).toBe('https://api.example.com/a/b')
  })
})

describe('DPoP nonces (RFC 9449 §8, §9)', () => {
  it('keeps the latest nonce per origin from any response, refusing malformed ones', () => {
    const nonces = new DpopNonces()
    nonces.learn('https://a', new Response('', { headers: { 'DPoP-Nonce': 'n-1' } }))
    nonces.learn('https://a', new Response('', { status: 200, headers: { 'DPoP-Nonce': 'n-2' } }))
    nonces.learn('https://b', new Response('', { headers: { 'DPoP-Nonce': 'bad"quote' } }))
    expect(nonces.get('https://a')).toBe('n-2')
    expect(nonces.get('https://b')).toBeUndefined()
  })

  it('tells the nonce challenge (401, DPoP error="use_dpop_nonce") from a refused token', () => {
    const challenge = (value: string, status = 401) => asksForNonce(new Response('', { status, headers: { 'WWW-Authenticate': value } }))
    expect(challenge('DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"')).toBe(true)
    expect(challenge('Bearer realm="x", DPoP error="use_dpop_nonce"')).toBe(true)
    expect(challenge('DPoP error="invalid_token"')).toBe(false)
    expect(challenge('DPoP error="use_dpop_nonce"', 400)).toBe(false)
  })
})
