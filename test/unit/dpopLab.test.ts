// @vitest-environment node
// The DPoP lab checked without a browser: the real provider (tools/openidProvider.js with `dpop`)
// and the verifying API (`dpop`), on loopback, driven by hand-made keys and proofs. What the
// browser tests of issue 16 will count on is proved here first, so a failure there is the
// library's, not the harness's.
import { createHash, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, decodeJwt, exportJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asksForNonce, DpopNonces } from '../../sw/dpop/nonces.js'
import { accessTokenHash, proofSigner, targetUri } from '../../sw/dpop/proof.js'
import { startVerifyingApi, type VerifyingApi } from '../browser/harness/realProvider/verifyingApi.js'
import { CLIENT_ID, startOpenIdProvider, type OpenIdProvider } from '../../tools/openidProvider.js'
import { authorizationCode } from './nodeLab/authorizationCode.js'

const AUDIENCE = 'https://api.example.test'
// Never fetched: the walk stops at the redirect that reaches it.
const REDIRECT_URI = 'http://127.0.0.1:9/callback'
const PAGE = 'http://127.0.0.1:8'

interface ProofClaims {
  htm: string
  htu: string
  ath?: string
  nonce?: string
  iat?: number
  jti?: string
}

/** A proof made with jose, as a careful client would, unless a test says otherwise. */
async function proof(keys: CryptoKeyPair, claims: ProofClaims, typ = 'dpop+jwt'): Promise<string> {
  return new SignJWT({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ, jwk: await exportJWK(keys.publicKey) })
    .sign(keys.privateKey)
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url')
/** Non-extractable, as the SDKs and the worker keep theirs. */
const newKeys = () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
const thumbprint = async (keys: CryptoKeyPair) => calculateJwkThumbprint(await exportJWK(keys.publicKey))

interface TokenAnswer {
  status: number
  body: Record<string, any>
  nonce: string | null
  /** What the page's SDK may read of the answer's headers (CORS). */
  exposed: string | null
}

async function tokenRequest(op: OpenIdProvider, params: Record<string, string>, dpop?: string): Promise<TokenAnswer> {
  const response = await fetch(`${op.origin}/oauth/token`, {
    method: 'POST',
    // From the page, as an SDK asks: the answer's CORS headers are what the browser would apply.
    headers: { Origin: PAGE, 'Content-Type': 'application/x-www-form-urlencoded', ...(dpop && { DPoP: dpop }) },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...params }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, any>, nonce: response.headers.get('DPoP-Nonce'), exposed: response.headers.get('Access-Control-Expose-Headers') }
}

/** A proof for the provider's token endpoint (no ath: there is no token yet). */
const tokenProof = (op: OpenIdProvider, keys: CryptoKeyPair, nonce?: string) => proof(keys, { htm: 'POST', htu: `${op.origin}/oauth/token`, ...(nonce && { nonce }) })

/** Signs `user` in with `keys`, answering the provider's nonce challenge as oidc-client-ts does: once. */
async function signIn(op: OpenIdProvider, keys: CryptoKeyPair, user = 'alice') {
  const { code, verifier } = await authorizationCode({ issuerOrigin: op.origin, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, user })
  const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI }
  const first = await tokenRequest(op, params, await tokenProof(op, keys))
  const answer = first.body.error === 'use_dpop_nonce' ? await tokenRequest(op, params, await tokenProof(op, keys, first.nonce!)) : first
  return { first, answer, nonce: first.nonce! }
}

async function callApi(api: VerifyingApi, token: string, options: { scheme?: string; dpop?: string; path?: string; method?: string } = {}) {
  const response = await fetch(`${api.origin}${options.path ?? '/me'}`, {
    method: options.method ?? 'GET',
    headers: { Authorization: `${options.scheme ?? 'DPoP'} ${token}`, ...(options.dpop && { DPoP: options.dpop }) },
  })
  await response.arrayBuffer()
  return response
}

describe('the DPoP lab, without a browser', () => {
  let op: OpenIdProvider
  let api: VerifyingApi
  let apiNonce: VerifyingApi
  let keys: CryptoKeyPair
  let token: string
  let refreshToken: string
  let providerNonce: string

  beforeAll(async () => {
    op = await startOpenIdProvider({ pageOrigins: [PAGE], redirectUris: [REDIRECT_URI], audience: AUDIENCE, accessTokenTtl: 300, dpop: true })
    const jwksUri = `${op.origin.replace('localhost', '127.0.0.1')}/.well-known/jwks.json`
    api = await startVerifyingApi({ issuer: op.issuer, jwksUri, audience: AUDIENCE, pageOrigin: PAGE, dpop: true })
    apiNonce = await startVerifyingApi({ issuer: op.issuer, jwksUri, audience: AUDIENCE, pageOrigin: PAGE, dpop: { nonce: true } })
    keys = await newKeys()
  })

  afterAll(async () => {
    await Promise.all([op?.close(), api?.close(), apiNonce?.close()])
  })

  describe('the provider with dpop: true', () => {
    it('redeems a code only with a proof: none is invalid_grant, one without the nonce use_dpop_nonce, one with it a DPoP token bound to the key', async () => {
      const mark = op.mark()
      const { code, verifier } = await authorizationCode({ issuerOrigin: op.origin, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, user: 'bob' })
      const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI }
      // dpop_bound_access_tokens: no quiet fallback to a Bearer token.
      expect((await tokenRequest(op, params)).body).toMatchObject({ error: 'invalid_grant' })
      expect(op.log.at(-1)).toMatchObject({ grant: 'authorization_code', ok: false, detail: 'DPoP proof JWT not provided' })
      const signIn = await tokenRequest(op, params, await tokenProof(op, keys))
      // Exposed, or oidc-client-ts in the page could not see the nonce it is asked for.
      expect(signIn).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' }, nonce: expect.any(String), exposed: expect.stringContaining('DPoP-Nonce') })
      const answer = await tokenRequest(op, params, await tokenProof(op, keys, signIn.nonce!))
      expect(answer).toMatchObject({ status: 200, body: { token_type: 'DPoP', refresh_token: expect.any(String) } })
      expect(decodeJwt(answer.body.access_token)).toMatchObject({ aud: AUDIENCE, sub: 'bob', cnf: { jkt: await thumbprint(keys) } })
      expect(op.counters(mark)).toMatchObject({ tokenRequests: 3, dpopTokenRequests: 2, useDpopNonce: 1, codeOk: 1, dpopTokens: 1, serverErrors: [] })
    })

    it("binds the public client's refresh token to the key: another key's proof is refused, the key's own refreshes, and the new token is bound again", async () => {
      const first = await signIn(op, keys)
      expect(first.answer.body.token_type).toBe('DPoP')
      providerNonce = first.nonce
      const params = { grant_type: 'refresh_token', refresh_token: first.answer.body.refresh_token }
      const stranger = await tokenRequest(op, params, await tokenProof(op, await newKeys(), providerNonce))
      expect(stranger.body).toMatchObject({ error: 'invalid_grant' })
      expect(op.log.at(-1)).toMatchObject({ grant: 'refresh_token', ok: false, detail: 'failed jkt verification' })
      // The refused attempt did not use the refresh token up: its owner still refreshes with it.
      const refreshed = await tokenRequest(op, params, await tokenProof(op, keys, providerNonce))
      expect(refreshed).toMatchObject({ status: 200, body: { token_type: 'DPoP', refresh_token: expect.any(String) } })
      expect(decodeJwt(refreshed.body.access_token).cnf).toEqual({ jkt: await thumbprint(keys) })
      token = refreshed.body.access_token
      refreshToken = refreshed.body.refresh_token
      expect(refreshToken).not.toBe(params.refresh_token)
    })

    it('answers a refresh whose proof lacks the nonce with use_dpop_nonce and a DPoP-Nonce, before judging the token', async () => {
      const mark = op.mark()
      const answer = await tokenRequest(op, { grant_type: 'refresh_token', refresh_token: refreshToken }, await tokenProof(op, keys))
      expect(answer).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' }, nonce: expect.any(String) })
      expect(op.counters(mark)).toMatchObject({ useDpopNonce: 1, refreshErrors: ['use_dpop_nonce'], refreshOk: 0 })
    })
  })

  describe('the verifying API with dpop: true', () => {
    it('takes a correct proof (200) and refuses the same proof again: replayed jti', async () => {
      const mark = api.mark()
      const dpop = await proof(keys, { htm: 'GET', htu: `${api.origin}/me`, ath: ath(token) })
      const ok = await callApi(api, token, { dpop })
      expect(ok.status).toBe(200)
      const again = await callApi(api, token, { dpop })
      expect(again.status).toBe(401)
      expect(again.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="replayed jti", algs="ES256 /)
      expect(api.counters(mark)).toEqual({ ok: 1, unauthorized: 1, withoutToken: 0, reasons: { 'replayed jti': 1 }, proofs: 2, useDpopNonce: 0 })
    })

    it('refuses the DPoP-bound token sent as Bearer (RFC 9449 §7.2), with a challenge for each scheme', async () => {
      const refused = await callApi(api, token, { scheme: 'Bearer' })
      expect(refused.status).toBe(401)
      expect(refused.headers.get('WWW-Authenticate')).toBe(`Bearer error="invalid_token", error_description="bearer for dpop token", DPoP algs="${['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'].join(' ')}"`)
      expect(api.log.at(-1)).toMatchObject({ reason: 'bearer for dpop token', scheme: 'Bearer', proof: false })
    })

    it('names each way a proof can be wrong: ath, htu, htm, iat, key, typ, none', async () => {
      const htu = `${api.origin}/me`
      const wrong = {
        'bad ath': await proof(keys, { htm: 'GET', htu, ath: ath(`${token}x`) }),
        htu: await proof(keys, { htm: 'GET', htu: `${api.origin}/other`, ath: ath(token) }),
        htm: await proof(keys, { htm: 'POST', htu, ath: ath(token) }),
        iat: await proof(keys, { htm: 'GET', htu, ath: ath(token), iat: Math.floor(Date.now() / 1000) - 120 }),
        'jkt mismatch': await proof(await newKeys(), { htm: 'GET', htu, ath: ath(token) }),
        'proof typ': await proof(keys, { htm: 'GET', htu, ath: ath(token) }, 'JWT'),
      }
      for (const [reason, dpop] of Object.entries(wrong)) {
        const refused = await callApi(api, token, { dpop })
        expect(refused.status, reason).toBe(401)
        expect(api.log.at(-1)?.reason, reason).toBe(reason)
        expect(refused.headers.get('WWW-Authenticate'), reason).toContain(`error="invalid_dpop_proof", error_description="${reason}"`)
      }
      expect((await callApi(api, token)).status).toBe(401)
      expect(api.log.at(-1)?.reason).toBe('no proof')
      // htu is compared without the query (RFC 9449 §4.3), and a refused proof's jti was not used up.
      expect((await callApi(api, token, { path: '/me?page=2', dpop: await proof(keys, { htm: 'GET', htu, ath: ath(token) }) })).status).toBe(200)
    })

    it("judges iat on the API's clock: skewSeconds ahead refuses a proof on the client's clock and takes one on the API's", async () => {
      // Past the 60 s window, within the token's 300 s lifetime.
      api.skewSeconds = 120
      try {
        const htu = `${api.origin}/me`
        expect((await callApi(api, token, { dpop: await proof(keys, { htm: 'GET', htu, ath: ath(token) }) })).status).toBe(401)
        expect(api.log.at(-1)?.reason).toBe('iat')
        const serverTime = Math.floor(Date.now() / 1000) + 120
        expect((await callApi(api, token, { dpop: await proof(keys, { htm: 'GET', htu, ath: ath(token), iat: serverTime }) })).status).toBe(200)
      } finally {
        api.skewSeconds = 0
      }
    })

    it("takes a proof made by the worker's own signer (sw/dpop/proof.ts) with a non-extractable key", async () => {
      const sign = (await proofSigner(keys))!
      const url = `${api.origin}/me?from=worker#top`
      const dpop = await sign({ jti: randomUUID(), htm: 'GET', htu: targetUri(url), iat: Math.floor(Date.now() / 1000), ath: await accessTokenHash(token) })
      expect((await callApi(api, token, { path: '/me?from=worker', dpop })).status).toBe(200)
    })

    it('allows the DPoP request header and exposes DPoP-Nonce and WWW-Authenticate to the page (CORS)', async () => {
      const preflight = await fetch(`${api.origin}/me`, { method: 'OPTIONS', headers: { Origin: PAGE, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,dpop' } })
      expect(preflight.headers.get('Access-Control-Allow-Headers')).toMatch(/\bDPoP\b/)
      const refused = await fetch(`${api.origin}/me`, { headers: { Origin: PAGE } })
      expect(refused.headers.get('Access-Control-Expose-Headers')).toBe('DPoP-Nonce, WWW-Authenticate')
    })
  })

  describe('the verifying API with dpop: { nonce: true }', () => {
    it('asks for its nonce (use_dpop_nonce, as the worker reads it), then takes the proof that carries it; every answer carries the nonce', async () => {
      const mark = apiNonce.mark()
      const htu = `${apiNonce.origin}/me`
      const first = await callApi(apiNonce, token, { dpop: await proof(keys, { htm: 'GET', htu, ath: ath(token) }) })
      expect(first.status).toBe(401)
      expect(first.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="use_dpop_nonce"/)
      expect(asksForNonce(first)).toBe(true)
      const nonces = new DpopNonces()
      nonces.learn(apiNonce.origin, first)
      expect(nonces.get(apiNonce.origin)).toBe(apiNonce.dpopNonce)
      const second = await callApi(apiNonce, token, { dpop: await proof(keys, { htm: 'GET', htu, ath: ath(token), nonce: nonces.get(apiNonce.origin)! }) })
      expect(second.status).toBe(200)
      expect(second.headers.get('DPoP-Nonce')).toBe(apiNonce.dpopNonce)
      expect(apiNonce.counters(mark)).toMatchObject({ ok: 1, unauthorized: 1, useDpopNonce: 1, reasons: { nonce: 1 }, proofs: 2 })
    })

    it('after rotateNonce, refuses the old nonce with the new one in DPoP-Nonce; a 200 brings the new one too', async () => {
      const htu = `${apiNonce.origin}/me`
      const old = apiNonce.dpopNonce!
      const fresh = apiNonce.rotateNonce()
      expect(fresh).not.toBe(old)
      const stale = await callApi(apiNonce, token, { dpop: await proof(keys, { htm: 'GET', htu, ath: ath(token), nonce: old }) })
      expect(stale.status).toBe(401)
      expect(asksForNonce(stale)).toBe(true)
      expect(stale.headers.get('DPoP-Nonce')).toBe(fresh)
      // The worker's signer with the nonce it would have learnt.
      const sign = (await proofSigner(keys))!
      const ok = await callApi(apiNonce, token, { dpop: await sign({ jti: randomUUID(), htm: 'GET', htu, iat: Math.floor(Date.now() / 1000), ath: await accessTokenHash(token), nonce: fresh }) })
      expect(ok.status).toBe(200)
      expect(ok.headers.get('DPoP-Nonce')).toBe(fresh)
    })

    it('a refused token is not a nonce challenge: an expired or revoked token gets invalid_token, which the worker tells apart', async () => {
      apiNonce.revokeSeen()
      const htu = `${apiNonce.origin}/me`
      const refused = await callApi(apiNonce, token, { dpop: await proof(keys, { htm: 'GET', htu, ath: ath(token), nonce: apiNonce.dpopNonce! }) })
      expect(refused.status).toBe(401)
      expect(refused.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_token", error_description="revoked"/)
      expect(asksForNonce(refused)).toBe(false)
      expect(refused.headers.get('DPoP-Nonce')).toBe(apiNonce.dpopNonce)
    })
  })

  describe('migrating: dpop: { required: false }', () => {
    it('issues a Bearer token to a request without a proof, which the DPoP API takes as Bearer and refuses as DPoP (not bound)', async () => {
      const open = await startOpenIdProvider({ pageOrigins: [PAGE], redirectUris: [REDIRECT_URI], audience: AUDIENCE, accessTokenTtl: 300, dpop: { required: false } })
      const jwksUri = `${open.origin.replace('localhost', '127.0.0.1')}/.well-known/jwks.json`
      const migrating = await startVerifyingApi({ issuer: open.issuer, jwksUri, audience: AUDIENCE, pageOrigin: PAGE, dpop: true })
      try {
        const { code, verifier } = await authorizationCode({ issuerOrigin: open.origin, clientId: CLIENT_ID, redirectUri: REDIRECT_URI, user: 'carol' })
        const answer = await tokenRequest(open, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI })
        expect(answer).toMatchObject({ status: 200, body: { token_type: 'Bearer' } })
        const bearer = answer.body.access_token as string
        expect(decodeJwt(bearer).cnf).toBeUndefined()
        expect((await callApi(migrating, bearer, { scheme: 'Bearer' })).status).toBe(200)
        const asDpop = await callApi(migrating, bearer, { dpop: await proof(keys, { htm: 'GET', htu: `${migrating.origin}/me`, ath: ath(bearer) }) })
        expect(asDpop.status).toBe(401)
        expect(migrating.log.at(-1)?.reason).toBe('token not bound')
        // The unbound refresh token stays unbound: a refresh without a proof works.
        const refreshed = await tokenRequest(open, { grant_type: 'refresh_token', refresh_token: answer.body.refresh_token })
        expect(refreshed).toMatchObject({ status: 200, body: { token_type: 'Bearer' } })
      } finally {
        await Promise.all([open.close(), migrating.close()])
      }
    })
  })
})
