/**
 * Issue 16's edges, from a fresh review that set out to break DPoP in the worker: challenges that
 * are not refused tokens, stale proofs, a logout during a read-back, in-page mode and bound tokens,
 * keys no conforming server could verify, and a deploy's older worker.
 */
import 'fake-indexeddb/auto'
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { authorizedFetch } from '../../sw/authorizedFetch.js'
import { bindToken } from '../../sw/dpop/binding.js'
import { proofSigner } from '../../sw/dpop/proof.js'
import { handleMessage } from '../../sw/handleMessage.js'
import { TokenState } from '../../sw/TokenState.js'
import { tokenPlugin } from '../../sw/tokenPlugin.js'
import { readToken, writeToken } from '../../sw/tokenStore.js'
import { pageMessage, parseRefreshAnswer, refreshAnswer } from '../../common/protocol.js'
import { readCredential } from '../../common/dpopCredential.js'
import { TokenSession } from '../../src/TokenSession.js'
import { API, keyPair, setUp } from './dpopFixtures.js'

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

const jwt = (claims: object) => `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`

describe('DPoP edges (RFC 9449)', () => {
  // nonce challenge without a usable new nonce is taken for a refused token
  it('a use_dpop_nonce challenge whose nonce the page cannot read (DPoP-Nonce not exposed) is not a refused token: no provider call', async () => {
    const { send, sent, refresher } = await setUp('tok-1', await keyPair(), () =>
      new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"' } }),
    )
    const response = await send(new Request(`${API}/a`), 'tab')
    expect(response.status).toBe(401)
    // RFC 9449 §9: the server wants a nonce, the token is fine. A forced refresh mends nothing.
    expect(refresher.run).not.toHaveBeenCalled()
    expect(sent.length).toBeLessThanOrEqual(2)
  })

  it('a challenge repeating the very nonce the proof carried is not a refused token either', async () => {
    const { send, refresher } = await setUp('tok-1', await keyPair(), (_r, n) =>
      n === 1
        ? new Response('', { headers: { 'DPoP-Nonce': 'n-1' } })
        : new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1' } }),
    )
    await send(new Request(`${API}/a`), 'tab') // learns n-1
    await send(new Request(`${API}/b`), 'tab') // proof with n-1, challenged with n-1 again
    expect(refresher.run).not.toHaveBeenCalled()
  })

  // Workbox plugin retry after a DPoP → Bearer refresh keeps the stale proof
  it('tokenPlugin: a retry with a Bearer token (refresh brought one) carries no DPoP proof', async () => {
    const key = await keyPair()
    const dpop = await bindToken('tok-1', key)
    const state: any = { loaded: true, known: true, token: 'tok-1', header: 'DPoP tok-1', dpop, logouts: 0, generation: 0, clockOffset: 0, load: async () => {} }
    const refresher: any = {
      inFlight: undefined,
      run: async () => (Object.assign(state, { token: 'tok-2', header: 'Bearer tok-2', dpop: null }), 'refreshed'),
      accepted() {},
      rejected() {},
    }
    vi.stubGlobal('self', { clients: { get: async () => undefined } })
    const seen: Array<{ auth: string | null; dpop: string | null }> = []
    vi.stubGlobal('fetch', async (request: Request) => {
      seen.push({ auth: request.headers.get('Authorization'), dpop: request.headers.get('DPoP') })
      return new Response('', { status: request.headers.get('Authorization') === 'DPoP tok-1' ? 401 : 200 })
    })
    const send = authorizedFetch({ origins: new Set([API]), state, refresher, expiry: { due: () => false, check: async () => {} } as any })
    const plugin = tokenPlugin(() => send, (r) => new URL(r.url).origin === API && !r.headers.has('authorization'))
    const event = { clientId: 'tab' } as unknown as ExtendableEvent
    const wbState = {}
    const filtered = await plugin.requestWillFetch({ request: new Request(`${API}/me`), event, state: wbState })
    const response = await fetch(filtered.clone())
    const final = await plugin.fetchDidSucceed({ request: filtered, response, event, state: wbState })
    expect(final.status).toBe(200)
    expect(seen[1]).toEqual({ auth: 'Bearer tok-2', dpop: null })
  })

  it('worker route: same migration, no stale proof (held)', async () => {
    const { send, sent, state, refresher } = await setUp('tok-1', await keyPair(), (r) =>
      new Response('', { status: r.headers.get('Authorization') === 'DPoP tok-1' ? 401 : 200 }),
    )
    refresher.run.mockImplementation(async () => (Object.assign(state, { token: 'tok-2', header: 'Bearer tok-2', dpop: null }), 'refreshed'))
    expect((await send(new Request(`${API}/me`), 'tab')).status).toBe(200)
    expect(sent[1]!.headers.get('DPoP')).toBeNull()
  })

  // resync adopting a stored DPoP token races a logout (await bindToken after the stamp check)
  it('a logout while resync binds a stored DPoP token is not undone in memory', async () => {
    const state = new TokenState(() => {})
    const key = await keyPair()
    await state.set('tok-1', 'set', true, false, await bindToken('tok-1', key))
    // Another version of the worker stored a newer bound token (a deploy overlaps two).
    await writeToken('tok-other', Date.now() + 10_000, 0, undefined, 'sess', key)
    const exportKey = crypto.subtle.exportKey.bind(crypto.subtle)
    let loggedOut: Promise<unknown> | undefined
    vi.spyOn(crypto.subtle, 'exportKey').mockImplementation(async (format: any, k: any) => {
      // The user logs out in a tab while the worker binds the stored token.
      loggedOut ??= state.set(null, 'logout', true)
      await loggedOut
      return exportKey(format, k) as any
    })
    await state.resync()
    await loggedOut
    // Storage says signed out (the logout's stamp is the newest) ...
    expect((await readToken()).token).toBeUndefined()
    // ... but the worker's memory sends the other token on every request.
    expect(state.token).toBeNull()
    expect(state.header).toBeNull()
  })

  // the in-page mode gets the worker's DPoP-bound token through 'renew'
  it("'renew' never hands a DPoP-bound token to an in-page tab (it sends only Bearer)", async () => {
    const key = await keyPair()
    const state: any = { token: 'tok-dpop', header: 'DPoP tok-dpop', dpop: await bindToken('tok-dpop', key), load: async () => {} }
    const refresher: any = { knowSession() {}, run: vi.fn(async () => 'refreshed') }
    const rooms: any = { default: { state, refresher, expiry: {} }, all: [{ state, refresher }], snapshot: () => ({ claims: null, hasToken: true, stamp: 1, cause: 'refresh' }) }
    let reply: any
    let done!: Promise<unknown>
    handleMessage(
      {
        data: pageMessage('renew', { token: null, reason: 'unauthorized' }),
        source: { id: 'in-page-tab' },
        ports: [{ postMessage: (m: unknown) => (reply = m) }],
        waitUntil: (p: Promise<unknown>) => (done = p),
      } as any,
      { rooms, verdict: () => ({ getsToken: true }) },
    )
    await done
    expect(reply.ok).toBe(true)
    expect(reply.token ?? null).not.toBe('tok-dpop')
  })

  // in-page mode takes a cnf.jkt JWT string as Bearer
  it('in-page callProvider refuses a DPoP-bound JWT returned as a string (cnf.jkt), as the worker does', async () => {
    const bound = jwt({ sub: 'a', cnf: { jkt: 'x' } })
    const session = new TokenSession(async () => bound, () => null, async () => {})
    await expect(session.callProvider({ reason: 'startup', forceRefresh: false }, 1000)).rejects.toMatchObject({ code: 'invalid-token' })
  })

  // RSA keys hashed with SHA-1 give alg "RS1"/"PS1", which no JWS registry has
  it('a key the JWA registry has no alg for (RSASSA-PKCS1-v1_5 / SHA-1) is refused, not signed as "RS1"', async () => {
    const rsa = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-1' },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const signer = await proofSigner(rsa)
    if (signer) {
      const proof = await signer({ jti: 'j', htm: 'GET', htu: `${API}/`, iat: 1, ath: 'a' })
      expect(decodeProtectedHeader(proof).alg).toMatch(/^(RS|PS|ES)(256|384|512)$|^EdDSA$/)
    }
    expect(signer).toBeNull()
  })

  // a key pair whose halves do not match is taken, and every proof fails verification
  it('a key pair whose public half is another key is refused (proofs would not verify with their jwk)', async () => {
    const a = await keyPair()
    const b = await keyPair()
    const mixed = { privateKey: a.privateKey, publicKey: b.publicKey }
    // Both the page and the worker take it.
    expect(readCredential({ token: 'tok', type: 'DPoP', key: mixed })).not.toBeNull()
    const binding = await bindToken('tok', mixed)
    if (binding) {
      const proof = await binding.sign({ jti: 'j', htm: 'GET', htu: `${API}/`, iat: Math.floor(Date.now() / 1000), ath: binding.ath })
      const { jwk } = decodeProtectedHeader(proof) as any
      await expect(jwtVerify(proof, await importJWK(jwk, 'ES256'))).rejects.toThrow()
    }
    expect(binding).toBeNull()
  })

  // invalid_dpop_proof taken for a refused token
  it('a 401 DPoP error="invalid_dpop_proof" (a proof problem) does not call the provider', async () => {
    const { send, refresher } = await setUp('tok-1', await keyPair(), () =>
      new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="invalid_dpop_proof", error_description="iat"' } }),
    )
    await send(new Request(`${API}/a`), 'tab')
    expect(refresher.run).not.toHaveBeenCalled()
  })

  // an app's own DPoP header rides along with the worker's Bearer token
  it("a Bearer token is never sent with a DPoP header, not even one the app's request carried", async () => {
    const { send, sent } = await setUp('tok-1', null, () => new Response('ok'))
    await send(new Request(`${API}/a`, { headers: { DPoP: 'app-made-proof' } }), 'tab')
    expect(sent[0]!.headers.get('Authorization')).toBe('Bearer tok-1')
    expect(sent[0]!.headers.get('DPoP')).toBeNull()
  })

  // a token changed while the nonce challenge was out: the new token is sent twice, never refreshed
  it('a nonce retry that carried a newer token and was refused leads to a refresh, not a second send of the same refused token', async () => {
    const key = await keyPair()
    const tok2 = await bindToken('tok-2', key)
    let state: any
    const env = await setUp('tok-1', key, (r) => {
      const auth = r.headers.get('Authorization')
      if (auth === 'DPoP tok-1') {
        // Meanwhile another request's 401 refreshed the token.
        Object.assign(state, { token: 'tok-2', header: 'DPoP tok-2', dpop: tok2 })
        return new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1' } })
      }
      return new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="invalid_token"', 'DPoP-Nonce': 'n-1' } })
    })
    state = env.state
    await env.send(new Request(`${API}/a`), 'tab')
    const auths = env.sent.map((r) => r.headers.get('Authorization'))
    // Today: ['DPoP tok-1', 'DPoP tok-2', 'DPoP tok-2'] and no refresh: tok-2 sent twice for one 401.
    expect({ auths, runs: env.refresher.run.mock.calls.length }).not.toEqual({ auths: ['DPoP tok-1', 'DPoP tok-2', 'DPoP tok-2'], runs: 0 })
  })

  // a worker from before DPoP (same PROTOCOL_VERSION) takes the page's { token, key } answer as a Bearer token
  it('the page hands a DPoP credential only to a worker that said it signs proofs (an older worker would send it as Bearer)', async () => {
    const key = await keyPair()
    const session = new TokenSession(async () => ({ token: 'tok-dpop', type: 'DPoP' as const, key }), () => null, async () => {})
    const posted: any[] = []
    const port = { postMessage: (m: unknown) => posted.push(m) }
    // Exactly what a worker of 9d1dc4d~1 (before issue 16) sends: nothing in it says it knows DPoP.
    const request = { protocol: 'sw-bearer', v: 1, type: 'refresh-request', reason: 'unauthorized', timeoutMs: 1000, forceRefresh: true, sentAt: Date.now() }
    session.receive({ data: request, ports: [port] } as unknown as MessageEvent)
    await vi.waitFor(() => expect(posted.length).toBe(2))
    const result = posted[1]
    // That worker's parser (git show 9d1dc4d~1:common/protocol.ts): a string token is all it checks; `key` is dropped.
    const oldParse = (rec: any) => (rec.protocol === 'sw-bearer' && rec.v === 1 && rec.type === 'refresh-result' && (rec.token === null || typeof rec.token === 'string') ? rec : null)
    const taken = oldParse(result)
    // It gets a refresh-error instead, and never the bound token to hold as Bearer.
    expect(taken).toBeNull()
    expect(result).toMatchObject({ type: 'refresh-error', error: { code: 'invalid-token' } })
  })

  it('htu normalisation (default port, IDN, case, empty path, query/fragment), proofs verify', async () => {
    const { send, sent } = await setUp('tok-1', await keyPair(), () => new Response('ok'))
    const origins = ['https://API.test:443', 'https://bücher.test', 'https://api.test']
    for (const base of origins) await send(new Request(`${base}/a%2Fb/%7E?q=1#x`), 'tab')
    await send(new Request('https://api.test?x'), 'tab')
    const htus = sent.map((r) => decodeJwt(r.headers.get('DPoP')!).htu)
    expect(htus).toEqual(['https://api.test/a%2Fb/%7E', 'https://xn--bcher-kva.test/a%2Fb/%7E', 'https://api.test/a%2Fb/%7E', 'https://api.test/'])
    for (const r of sent) {
      const proof = r.headers.get('DPoP')!
      const { jwk, alg, typ } = decodeProtectedHeader(proof) as any
      expect(typ).toBe('dpop+jwt')
      expect(jwk.d).toBeUndefined()
      await jwtVerify(proof, await importJWK(jwk, alg), { typ: 'dpop+jwt' })
    }
  })

  it('nonce from one origin is not used at another; nonce retry then refresh stays within 4 sends', async () => {
    let n = 0
    const { send, sent } = await setUp('tok-1', await keyPair(), (r) => {
      n++
      if (new URL(r.url).origin === API && !decodeJwt(r.headers.get('DPoP')!).nonce)
        return new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-api' } })
      return new Response('ok')
    })
    await send(new Request(`${API}/a`), 'tab')
    const other = authorizedFetch // same instance origins: only API listed, but send() is origin-agnostic
    void other
    await send(new Request('https://other.test/a'), 'tab')
    expect(decodeJwt(sent.at(-1)!.headers.get('DPoP')!).nonce).toBeUndefined()
    expect(n).toBe(3)
  })

  it('page and worker agree on an extractable key (both refuse)', async () => {
    const ext = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
    expect(() => readCredential({ token: 'tok', type: 'DPoP', key: ext })).toThrow(expect.objectContaining({ code: 'invalid-token' }))
    expect(parseRefreshAnswer(structuredClone(refreshAnswer('refresh-result', { token: 'tok', key: ext })))).toBeNull()
    const ok = await keyPair()
    expect(parseRefreshAnswer(structuredClone(refreshAnswer('refresh-result', { token: 'tok', key: ok })))).not.toBeNull()
  })
  it('FetchLimiter frees the slot when a proof fails to sign', async () => {
    const { FetchLimiter } = await import('../../sw/FetchLimiter.js')
    vi.stubGlobal('fetch', async () => new Response('ok'))
    const limiter = new FetchLimiter(1)
    await expect(limiter.fetch(() => ({ ready: Promise.reject(new Error('sign failed')) }))).rejects.toThrow('sign failed')
    expect((await limiter.fetch(() => new Request(`${API}/a`)))!.status).toBe(200)
  })

  it('Bearer → DPoP migration on a refresh: retry has a proof for the new token and key, nonce dance once, one refresh', async () => {
    const { send, sent, state, refresher } = await setUp('tok-1', null, (r) => {
      if (r.headers.get('Authorization') === 'Bearer tok-1') return new Response('', { status: 401 })
      const proof = r.headers.get('DPoP')
      if (!proof) return new Response('', { status: 400 })
      return decodeJwt(proof).nonce === 'n-1' ? new Response('ok') : new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1' } })
    })
    const key = await keyPair()
    const tok2 = await bindToken('tok-2', key)
    refresher.run.mockImplementation(async () => (Object.assign(state, { token: 'tok-2', header: 'DPoP tok-2', dpop: tok2 }), 'refreshed'))
    expect((await send(new Request(`${API}/a`, { method: 'POST', body: 'b' }), 'tab')).status).toBe(200)
    expect(sent.map((r) => r.headers.get('Authorization'))).toEqual(['Bearer tok-1', 'DPoP tok-2', 'DPoP tok-2'])
    expect(sent[0]!.headers.get('DPoP')).toBeNull()
    expect(await sent[2]!.text()).toBe('b')
    expect(refresher.run).toHaveBeenCalledTimes(1)
    const { jwk } = decodeProtectedHeader(sent[2]!.headers.get('DPoP')!) as any
    await jwtVerify(sent[2]!.headers.get('DPoP')!, await importJWK(jwk, 'ES256'))
    expect(decodeJwt(sent[2]!.headers.get('DPoP')!).ath).toBe(tok2!.ath)
  })

  it('key rotation on restart: stored token and key are written together; logout deletes the key', async () => {
    const state = new TokenState(() => {})
    const k1 = await keyPair()
    const k2 = await keyPair()
    await state.set('tok-a', 'set', true, false, await bindToken('tok-a', k1))
    await state.set('tok-b', 'refresh', false, true, await bindToken('tok-b', k2))
    expect((await readToken()).token!.key!.privateKey).not.toBe(undefined)
    const restarted = new TokenState(() => {})
    await restarted.load()
    const proof = await restarted.dpop!.sign({ jti: 'j', htm: 'GET', htu: `${API}/`, iat: 1, ath: restarted.dpop!.ath })
    const { jwk } = decodeProtectedHeader(proof) as any
    const pub = await crypto.subtle.exportKey('jwk', k2.publicKey)
    expect(jwk.x).toBe(pub.x)
    await restarted.set(null, 'logout', true)
    expect((await readToken()).token).toBeUndefined()
  })
  it("a nonce from a redirect's other origin never goes into the API's proofs", async () => {
    const key = await keyPair()
    const dpop = await bindToken('tok-1', key)
    const state: any = { loaded: true, known: true, token: 'tok-1', header: 'DPoP tok-1', dpop, logouts: 0, generation: 0, clockOffset: 0, load: async () => {} }
    const refresher: any = { inFlight: undefined, run: vi.fn(async () => 'refreshed'), accepted() {}, rejected() {} }
    vi.stubGlobal('self', { clients: { get: async () => undefined } })
    const sent: Request[] = []
    vi.stubGlobal('fetch', async (request: Request) => {
      sent.push(request)
      const first = sent.length === 1
      const response = first
        ? new Response('', { status: 401, headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'evil' } })
        : new Response('ok')
      Object.defineProperty(response, 'url', { value: first ? 'https://evil.test/landing' : request.url })
      return response
    })
    const { send } = authorizedFetch({ origins: new Set([API]), state, refresher, expiry: { due: () => false, check: async () => {} } as any })
    await send(new Request(`${API}/a`), 'tab')
    await send(new Request(`${API}/b`), 'tab')
    expect(sent.map((r) => decodeJwt(r.headers.get('DPoP')!).nonce ?? null)).toEqual([null, null])
    expect(refresher.run).not.toHaveBeenCalled()
  })
})
