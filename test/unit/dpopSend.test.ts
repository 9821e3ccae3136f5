import 'fake-indexeddb/auto'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { bindToken } from '../../sw/dpop/binding.js'
import { Refresher } from '../../sw/Refresher.js'
import { TokenState } from '../../sw/TokenState.js'
import { writeToken } from '../../sw/tokenStore.js'
import { API, keyPair, setUp } from './dpopFixtures.js'

afterEach(() => vi.unstubAllGlobals())


const proofOf = (request: Request) => request.headers.get('DPoP')

describe('DPoP from the worker (RFC 9449)', () => {
  it('a bound token goes as DPoP with a fresh proof per request: htm, htu without query, ath of the token, unique jti', async () => {
    const { send, sent } = await setUp('tok-1', await keyPair(), () => new Response('ok'))
    await send(new Request(`${API}/a?secret=1#f`, { method: 'POST', body: 'x' }), 'tab')
    await send(new Request(`${API}/a`), 'tab')
    expect(sent.map((r) => r.headers.get('Authorization'))).toEqual(['DPoP tok-1', 'DPoP tok-1'])
    const [p1, p2] = sent.map((r) => decodeJwt(proofOf(r)!))
    expect(decodeProtectedHeader(proofOf(sent[0]!)!)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
    expect(p1).toMatchObject({ htm: 'POST', htu: `${API}/a`, ath: (await bindToken('tok-1', await keyPair()))!.ath })
    expect(p2).toMatchObject({ htm: 'GET' })
    expect(p1!.jti).not.toBe(p2!.jti)
    expect(p1!.nonce).toBeUndefined()
  })

  it("takes iat from the issuer's clock as tokens showed it, not this browser's", async () => {
    const { send, sent, state } = await setUp('tok-1', await keyPair(), () => new Response('ok'))
    state.clockOffset = 120 // this browser runs two minutes behind the issuer
    await send(new Request(`${API}/a`), 'tab')
    const iat = decodeJwt(proofOf(sent[0]!)!).iat!
    expect(Math.abs(iat - (Date.now() / 1000 + 120))).toBeLessThan(2)
  })

  it('a Bearer token is never given a proof', async () => {
    const { send, sent } = await setUp('tok-1', null, () => new Response('ok'))
    await send(new Request(`${API}/a`), 'tab')
    expect(sent[0]!.headers.get('Authorization')).toBe('Bearer tok-1')
    expect(proofOf(sent[0]!)).toBeNull()
  })

  it('answers a use_dpop_nonce challenge once, with its nonce and the same body, without a refresh; later proofs carry the nonce', async () => {
    const challenge = () => new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1' } })
    const { send, sent, refresher } = await setUp('tok-1', await keyPair(), (request, n) => (n === 1 ? challenge() : new Response('ok', { headers: { 'DPoP-Nonce': 'n-2' } })))
    const response = await send(new Request(`${API}/pay`, { method: 'POST', body: 'amount=1' }), 'tab')
    expect(response.status).toBe(200)
    expect(refresher.run).not.toHaveBeenCalled()
    expect(sent).toHaveLength(2)
    expect(await sent[1]!.text()).toBe('amount=1')
    expect(decodeJwt(proofOf(sent[1]!)!).nonce).toBe('n-1')
    // A 2xx's nonce (§8.2) goes into the next proof.
    await send(new Request(`${API}/next`), 'tab')
    expect(decodeJwt(proofOf(sent[2]!)!).nonce).toBe('n-2')
  })

  it('a second challenge in a row is returned as it is, not taken for a refused token', async () => {
    let n = 0
    const { send, sent, refresher } = await setUp('tok-1', await keyPair(), () =>
      new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': `n-${++n}` } }),
    )
    expect((await send(new Request(`${API}/a`), 'tab')).status).toBe(401)
    expect(sent).toHaveLength(2)
    expect(refresher.run).not.toHaveBeenCalled()
  })

  it('a refused bound token is refreshed once and retried with a proof for the new token', async () => {
    const key = await keyPair()
    const { send, sent, refresher, state } = await setUp('tok-1', key, (request) =>
      request.headers.get('Authorization') === 'DPoP tok-1' ? new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="invalid_token"' } }) : new Response('ok'),
    )
    const renewed = await bindToken('tok-2', key)
    refresher.run.mockImplementation(async () => (Object.assign(state, { token: 'tok-2', header: 'DPoP tok-2', dpop: renewed }), 'refreshed'))
    expect((await send(new Request(`${API}/a`), 'tab')).status).toBe(200)
    expect(refresher.run).toHaveBeenCalledTimes(1)
    expect(decodeJwt(proofOf(sent[1]!)!).ath).toBe(renewed!.ath)
  })

  it('the key survives a worker restart as a CryptoKey, still non-extractable, and a bound record without a usable key is no token', async () => {
    const key = await keyPair()
    const first = new TokenState(() => {})
    const binding = await bindToken('tok-1', key)
    expect(binding).not.toBeNull()
    await first.set('tok-1', 'set', true, false, binding)
    expect(first.header).toBe('DPoP tok-1')
    const restarted = new TokenState(() => {})
    await restarted.load()
    expect(restarted.header).toBe('DPoP tok-1')
    expect(restarted.dpop!.key.privateKey.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('jwk', restarted.dpop!.key.privateKey)).rejects.toThrow()
    expect(restarted.dpop!.ath).toBe((await bindToken('tok-1', key))!.ath)
    // A record bound to a key that cannot sign (storage is not the page: anything may be there).
    const unusable = (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as CryptoKeyPair
    await writeToken('tok-2', Date.now() + 1000, 0, undefined, undefined, unusable)
    const again = new TokenState(() => {})
    await again.load()
    expect(again.token).toBeNull()
    expect(again.header).toBeNull()
  })

  it('a JWT that says it is DPoP-bound (cnf.jkt) is never held as Bearer: not from storage, not from a getter without its key', async () => {
    const bound = `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'a', cnf: { jkt: 'x' } })).toString('base64url')}.c2ln`
    await writeToken(bound, Date.now() + 5000)
    const restarted = new TokenState(() => {})
    await restarted.load()
    expect(restarted.token).toBeNull()
    const told: unknown[] = []
    const tab = { id: 'tab' } as Client
    const refresher = new Refresher(restarted, { timeoutMs: 1000, ask: async () => ({ kind: 'token', token: bound }), windows: async () => [tab], find: async () => tab, tell: (_c, e) => told.push(e) })
    expect(await refresher.run({ reason: 'manual', force: true })).toBe('failed')
    expect(restarted.token).toBeNull()
    expect(told).toEqual([expect.objectContaining({ code: 'invalid-token' })])
  })
})
