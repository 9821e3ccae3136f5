import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose'
import { afterAll, describe, expect, it } from 'vitest'
import { CLIENT_ID } from '../../tools/openidProvider.js'
import { engines, type EngineName, type Tab } from './harness/engines/index.js'
import { AUDIENCE, booted, type Mark, type RealLab } from './harness/realProvider/realLab.js'
import { call, getterCalls, state, type Call } from './harness/realProvider/tab.js'
import { tokenView } from './harness/realProvider/resourceTab.js'
import { useBuiltPages, useRealLab } from './harness/realProvider/useRealLab.js'
import type { ApiLogEntry } from './harness/realProvider/verifyingApi.js'

// DPoP (RFC 9449, issue 16) against the real OpenID Provider with DPoP required and server nonces
// (bound access and refresh tokens), oidc-client-ts with its DPoP store on, through the shipped
// adapter, and an API that verifies every proof as a resource server does (signature by the
// embedded key, cnf.jkt, htm, htu, iat, ath, jti replay, its own nonce). The app only ever calls
// plain fetch. Judged at the edges: the API's log (scheme, the proof as sent, why a 401), the
// provider's token endpoint, what the tab's session and IndexedDB hold.

/** Long enough that nothing refreshes on its own mid-test (sw-bearer's leeway is 30 s). */
const TTL = 120

const pages = useBuiltPages()
const lines: string[] = []
/** The scenario just recorded, as the message of its assertions: a failure says what happened. */
let lastLine = ''

afterAll(() => {
  console.log(`DPoP (oidc-client-ts), counted since each scenario's trigger:\n${lines.join('\n')}`)
})

/** What the API was sent, one request: the Authorization scheme, the proof's claims and key, why a 401. */
interface Seen {
  status: number
  reason: string | null
  scheme: string | undefined
  token: string | undefined
  proof: string | undefined
  /** The proof's claims and the thumbprint of the key in its header (what it was signed with: the API checked that). */
  claims: Record<string, unknown> | null
  typ: string | null
  alg: string | null
  jkt: string | null
  /** The token's cnf.jkt: the key the provider bound it to. */
  cnfJkt: string | null
}

async function seen(entry: ApiLogEntry): Promise<Seen> {
  const authorization = entry.headers?.authorization
  const token = authorization?.split(' ')[1]
  const proof = typeof entry.headers?.dpop === 'string' ? entry.headers.dpop : undefined
  const header = proof ? decodeProtectedHeader(proof) : null
  const cnf = token ? (decodeJwt(token).cnf as { jkt?: string } | undefined) : undefined
  return {
    status: entry.status,
    reason: entry.reason ?? null,
    scheme: entry.scheme,
    token,
    proof,
    claims: proof ? (decodeJwt(proof) as Record<string, unknown>) : null,
    typ: header?.typ ?? null,
    alg: header?.alg ?? null,
    jkt: header?.jwk ? await calculateJwkThumbprint(header.jwk as JWK) : null,
    cnfJkt: cnf?.jkt ?? null,
  }
}

const apiSince = (lab: RealLab, mark: Mark) => Promise.all(lab.api.log.slice(mark.api).map(seen))
const ath = (token: string) => createHash('sha256').update(token).digest('base64url')
/** Each request the API saw as `status reason`, in order. */
const outcomes = (log: Seen[]) => log.map((e) => `${e.status}${e.reason ? ` ${e.reason}` : ''}`)

/** One line per engine and scenario, written before the assertions so failures are counted too. */
function record(engine: EngineName, lab: RealLab, scenario: string, mark: Mark, log: Seen[], statuses: number[]): void {
  const op = lab.op.counters(mark.op)
  lines.push(
    `${engine.padEnd(8)} ${scenario.padEnd(30)} token calls ${op.tokenRequests} (refresh ok ${op.refreshOk}, use_dpop_nonce ${op.useDpopNonce}, DPoP tokens ${op.dpopTokens}), ` +
      `API ${outcomes(log).join(', ') || 'nothing'} [schemes ${[...new Set(log.map((e) => e.scheme))].join(' ')}], fetch ${statuses.join(' ')}`,
  )
  lastLine = lines.at(-1)!
}

describe.each(engines)('%s', (engine) => {
  const startLab = useRealLab(engine, pages)
  const start = () => startLab('oidc', TTL, { dpop: true })

  /** Signed in with DPoP, and one fetch accepted (the API's nonce learnt): what the API saw of that 200. */
  async function signedIn(lab: RealLab): Promise<{ tab: Tab; ok: Seen; call: Call }> {
    const tab = await lab.openTab()
    await lab.login(tab)
    const mark = lab.mark()
    const first = await call(tab)
    expect(first.status, first.reason ?? '').toBe(200)
    const ok = (await apiSince(lab, mark)).at(-1)!
    expect(ok.status).toBe(200)
    return { tab, ok, call: first }
  }

  it('a a plain fetch goes as Authorization: DPoP with a proof the API verifies (key = cnf.jkt, htm, htu, ath, nonce); never as Bearer', async () => {
    const lab = await start()
    const tab = await lab.openTab()
    await lab.login(tab)
    // The sign-in itself was DPoP: the provider bound the tokens it issued.
    expect(lab.op.counters()).toMatchObject({ codeOk: 1, dpopTokens: 1, serverErrors: [] })
    expect(lab.op.log.find((e) => e.event === 'token' && e.ok)).toMatchObject({ grant: 'authorization_code', tokenType: 'DPoP' })

    const mark = lab.mark()
    const first = await call(tab)
    const second = await call(tab)
    const log = await apiSince(lab, mark)
    record(engine, lab, 'a plain fetch', mark, log, [first.status, second.status])

    expect([first.status, second.status], lastLine).toEqual([200, 200])
    // The worker knew no nonce of the API's yet: it is asked once, then each request goes right.
    expect(outcomes(log), lastLine).toEqual(['401 nonce', '200', '200'])
    expect(log.map((e) => e.scheme), lastLine).toEqual(['DPoP', 'DPoP', 'DPoP'])
    expect(log.every((e) => e.proof !== undefined), lastLine).toBe(true)
    expect(lab.op.counters(mark.op).tokenRequests, lastLine).toBe(0)

    const [challenged, ok, again] = log as [Seen, Seen, Seen]
    const token = ok.token!
    expect(ok).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256', jkt: ok.cnfJkt })
    expect(ok.cnfJkt).toEqual(expect.any(String))
    expect(ok.claims).toMatchObject({ htm: 'GET', htu: `${lab.api.origin}/me`, ath: ath(token), nonce: lab.api.dpopNonce, jti: expect.any(String), iat: expect.any(Number) })
    expect(Math.abs((ok.claims!.iat as number) - Date.now() / 1000)).toBeLessThan(60)
    expect(challenged.claims).not.toHaveProperty('nonce')
    // A fresh proof for every request, all with the same key.
    expect(new Set([challenged, ok, again].map((e) => e.claims!.jti)).size).toBe(3)
    expect(new Set([challenged, ok, again].map((e) => e.jkt))).toEqual(new Set([ok.cnfJkt]))
    expect(again.token).toBe(token)
    // The session the tabs see holds the token the API took.
    expect(await tokenView(tab)).toMatchObject({ hasToken: true, aud: AUDIENCE, jti: first.jti })
    expect(await state(tab)).toEqual({ hasToken: true, sdkSignedIn: true })
    expect((await getterCalls(tab)).map((c) => c.result)).not.toContainEqual(expect.stringMatching(/^error/))
  })

  it("b a replayed proof is refused: the very Authorization and DPoP headers of an accepted request, sent again from elsewhere, get 401 'replayed jti'", async () => {
    const lab = await start()
    const { tab, ok } = await signedIn(lab)
    const stolen = lab.api.log.at(-1)!.headers!
    expect(stolen.authorization).toBe(`DPoP ${ok.token}`)

    const mark = lab.mark()
    const replay = await fetch(`${lab.api.origin}/me`, { headers: { Authorization: stolen.authorization!, DPoP: String(stolen.dpop) } })
    await replay.arrayBuffer()
    // The token alone, without a proof, and the token as Bearer: useless away from its key too.
    const bare = await fetch(`${lab.api.origin}/me`, { headers: { Authorization: stolen.authorization! } })
    const asBearer = await fetch(`${lab.api.origin}/me`, { headers: { Authorization: `Bearer ${ok.token}` } })
    await Promise.all([bare.arrayBuffer(), asBearer.arrayBuffer()])
    // The page's own next request still goes through: the refusals were the replay's, not the token's.
    const own = await call(tab)
    const log = await apiSince(lab, mark)
    record(engine, lab, 'b replayed proof', mark, log, [replay.status, bare.status, asBearer.status, own.status])

    expect([replay.status, bare.status, asBearer.status, own.status], lastLine).toEqual([401, 401, 401, 200])
    expect(outcomes(log), lastLine).toEqual(['401 replayed jti', '401 no proof', '401 bearer for dpop token', '200'])
    expect(replay.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="replayed jti"/)
    expect(log[0]!.claims!.jti).toBe(ok.claims!.jti)
    expect(log[3]!.claims!.jti).not.toBe(ok.claims!.jti)
    expect(lab.op.counters(mark.op).tokenRequests, lastLine).toBe(0)
  })

  it('c the nonce dance costs exactly one extra request: after the API rotates its nonce, one fetch is one use_dpop_nonce 401 and one 200, no provider call', async () => {
    const lab = await start()
    const { tab } = await signedIn(lab)
    const old = lab.api.dpopNonce
    const fresh = lab.api.rotateNonce()
    const calls = (await getterCalls(tab)).length

    const mark = lab.mark()
    const result = await call(tab)
    const log = await apiSince(lab, mark)
    record(engine, lab, 'c nonce rotated', mark, log, [result.status])

    expect(result.status, lastLine).toBe(200)
    expect(outcomes(log), lastLine).toEqual(['401 nonce', '200'])
    expect(log.map((e) => e.claims?.nonce), lastLine).toEqual([old, fresh])
    // The same token both times: a nonce challenge is not a refused token.
    expect(log[1]!.token).toBe(log[0]!.token)
    expect(log[1]!.claims!.jti).not.toBe(log[0]!.claims!.jti)
    expect(lab.op.counters(mark.op).tokenRequests, lastLine).toBe(0)
    expect((await getterCalls(tab)).length).toBe(calls)
    // Learnt: the next request goes right the first time.
    const next = lab.mark()
    expect((await call(tab)).status).toBe(200)
    expect(outcomes(await apiSince(lab, next))).toEqual(['200'])
  })

  it('d a 401 for the token refreshes once: one refresh_token grant with a proof, and the retry carries the new token with a proof for it (ath), same key', async () => {
    const lab = await start()
    const { tab, ok } = await signedIn(lab)
    lab.api.revokeSeen()

    const mark = lab.mark()
    const result = await call(tab)
    const log = await apiSince(lab, mark)
    record(engine, lab, 'd revoked at API', mark, log, [result.status])
    const op = lab.op.counters(mark.op)

    expect(result.status, lastLine).toBe(200)
    expect(outcomes(log), lastLine).toEqual(['401 revoked', '200'])
    expect(op, lastLine).toMatchObject({ refreshOk: 1, invalidGrant: 0, invalidDpopProof: 0, codeOk: 0, serverErrors: [] })
    // The refresh itself: one grant, every token request with a proof; oidc-client-ts keeps the
    // provider's nonce, so a second request there is only its use_dpop_nonce, should that nonce have aged.
    expect(op.tokenRequests, lastLine).toBe(1 + op.useDpopNonce)
    expect(op.useDpopNonce, lastLine).toBeLessThanOrEqual(1)
    expect(op.dpopTokenRequests, lastLine).toBe(op.tokenRequests)
    expect(lab.op.log.slice(mark.op).filter((e) => e.event === 'token' && e.ok)).toEqual([expect.objectContaining({ grant: 'refresh_token', tokenType: 'DPoP' })])

    const [refused, retried] = log as [Seen, Seen]
    expect(refused.token).toBe(ok.token)
    expect(retried.token).not.toBe(ok.token)
    expect(retried).toMatchObject({ scheme: 'DPoP', jkt: ok.jkt, cnfJkt: ok.jkt })
    expect(retried.claims).toMatchObject({ ath: ath(retried.token!), nonce: lab.api.dpopNonce, htm: 'GET' })
    expect(result.jti).toBe(decodeJwt(retried.token!).jti)
    // sw-bearer asked once, forced; the session holds the new token.
    expect((await getterCalls(tab)).filter((c) => c.reason === 'unauthorized')).toEqual([expect.objectContaining({ forceRefresh: true, result: 'token' })])
    expect(await tokenView(tab)).toMatchObject({ hasToken: true, jti: result.jti })
  })

  it("e the key cannot be exported: the worker's stored key pair and oidc-client-ts's are non-extractable, and exportKey on either private key rejects", async () => {
    const lab = await start()
    const { tab, ok } = await signedIn(lab)

    const keys = await tab.evaluate(async (clientId) => {
      const open = (name: string) =>
        new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name)
          // No such database: do not make one.
          request.onupgradeneeded = () => request.transaction!.abort()
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => reject(new Error(`open ${name}: ${request.error}`))
        })
      const read = async (name: string, store: string, key: string) => {
        const db = await open(name)
        try {
          return await new Promise<any>((resolve, reject) => {
            const request = db.transaction(store).objectStore(store).get(key)
            request.onsuccess = () => resolve(request.result)
            request.onerror = () => reject(request.error)
          })
        } finally {
          db.close()
        }
      }
      const inspect = async (pair: CryptoKeyPair | undefined) => {
        if (!pair?.privateKey) return null
        const exported = await crypto.subtle.exportKey('jwk', pair.privateKey).then(
          (jwk) => `exported ${Object.keys(jwk).join(',')}`,
          (error) => `rejected ${error?.name}`,
        )
        const pkcs8 = await crypto.subtle.exportKey('pkcs8', pair.privateKey).then(
          () => 'exported',
          (error) => `rejected ${error?.name}`,
        )
        const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey)
        return { extractable: pair.privateKey.extractable, type: pair.privateKey.type, usages: pair.privateKey.usages, exported, pkcs8, publicJwk: { kty, crv, x, y } }
      }
      const { scope } = await navigator.serviceWorker.ready
      const stored = await read(`sw-bearer ${scope}`, 'session', 'current')
      const oidc = await read('oidc', 'dpop', clientId)
      return { worker: await inspect(stored?.key), oidc: await inspect(oidc?.keys), storedToken: typeof stored?.token === 'string' }
    }, CLIENT_ID)
    lines.push(`${engine.padEnd(8)} ${'e keys at rest'.padEnd(30)} worker ${JSON.stringify({ ...keys.worker, publicJwk: undefined })}, oidc-client-ts ${JSON.stringify({ ...keys.oidc, publicJwk: undefined })}`)
    lastLine = lines.at(-1)!

    expect(keys.storedToken, lastLine).toBe(true)
    for (const pair of [keys.worker, keys.oidc]) {
      expect(pair, lastLine).toMatchObject({ extractable: false, type: 'private', usages: ['sign'] })
      expect(pair!.exported, lastLine).toMatch(/^rejected /)
      expect(pair!.pkcs8, lastLine).toMatch(/^rejected /)
    }
    // One key pair: the one oidc-client-ts bound the token to, which the worker signs with.
    expect(keys.worker!.publicJwk).toEqual(keys.oidc!.publicJwk)
    expect(await calculateJwkThumbprint(keys.worker!.publicJwk as JWK)).toBe(ok.cnfJkt)
  })

  it('f a worker restart keeps signing with the same key: the next fetch succeeds with no provider call, its proof by the key the token is bound to', async () => {
    const lab = await start()
    const { tab, ok } = await signedIn(lab)

    const mark = lab.mark()
    await lab.restartWorker(tab)
    const result = await call(tab)
    const log = await apiSince(lab, mark)
    record(engine, lab, 'f worker restart', mark, log, [result.status])

    expect(result.status, lastLine).toBe(200)
    expect(lab.op.counters(mark.op).tokenRequests, lastLine).toBe(0)
    // The API's nonce lives in the worker's memory: a new instance may be asked for it once.
    expect(outcomes(log).slice(0, -1).every((o) => o === '401 nonce'), lastLine).toBe(true)
    expect(log.length, lastLine).toBeLessThanOrEqual(2)
    const after = log.at(-1)!
    expect(after).toMatchObject({ status: 200, scheme: 'DPoP', token: ok.token, jkt: ok.jkt, cnfJkt: ok.jkt })
    expect(after.claims).toMatchObject({ ath: ath(ok.token!), nonce: lab.api.dpopNonce })
    expect(log.every((e) => e.scheme === 'DPoP' && e.jkt === ok.jkt), lastLine).toBe(true)
    expect(await tokenView(tab)).toMatchObject({ hasToken: true, jti: result.jti })
  })

  it('h an app turning DPoP on switches token by token: Bearer without a proof until the refresh that brings a bound token, then DPoP with proofs', async () => {
    const lab = await startLab('oidc', TTL, { dpop: 'migrating' })
    const tab = await lab.openTab()
    await lab.login(tab)
    const before = lab.mark()
    expect((await call(tab)).status).toBe(200)
    // The app ships its SDK's DPoP setting; a reload keeps the Bearer token the user holds.
    lab.pageDpop = true
    await tab.goto(lab.url)
    await booted(tab)
    expect((await call(tab)).status).toBe(200)
    // The next refresh (the API revoked the Bearer token) brings a bound token: from then on, DPoP.
    lab.api.revokeSeen()
    const statuses = [(await call(tab)).status, (await call(tab)).status]
    const log = await apiSince(lab, before)
    record(engine, lab, 'h migrating to DPoP', before, log, statuses)

    expect(statuses, lastLine).toEqual([200, 200])
    const bearer = log.filter((e) => e.scheme === 'Bearer')
    const dpop = log.filter((e) => e.scheme === 'DPoP')
    // Bearer tokens never carried a proof, bound ones always did, and each kind went with its own token.
    expect(bearer.map((e) => [e.status, e.proof]), lastLine).toEqual([[200, undefined], [200, undefined], [401, undefined]])
    expect(dpop.every((e) => e.proof !== undefined && e.cnfJkt !== null && e.jkt === e.cnfJkt), lastLine).toBe(true)
    expect(dpop.at(-1)!.status, lastLine).toBe(200)
    expect(new Set(bearer.map((e) => e.token)).size, lastLine).toBe(1)
    expect(dpop.some((e) => bearer.some((b) => b.token === e.token)), lastLine).toBe(false)
    expect(log.indexOf(dpop[0]!), lastLine).toBe(3)
    expect(lab.op.counters(before.op).refreshOk, lastLine).toBe(1)
  })

  it("g a browser whose clock runs behind the servers' signs iat on the servers' clock, as its tokens showed it: the API takes the proofs", async () => {
    // The provider and the API run on this process's clock, set 90 s ahead of the browser's (the
    // API allows 60 s either way): a token's iat shows the worker how far behind its clock is.
    const realNow = Date.now
    Date.now = () => realNow() + AHEAD_MS
    try {
      const lab = await start()
      const tab = await lab.openTab()
      await lab.login(tab)
      const mark = lab.mark()
      const result = await call(tab)
      const log = await apiSince(lab, mark)
      record(engine, lab, 'g browser clock 90 s behind', mark, log, [result.status])

      expect(result.status, lastLine).toBe(200)
      expect(outcomes(log), lastLine).toEqual(['401 nonce', '200'])
      // On the servers' clock, not the browser's (which is this process's real one).
      const iat = log[1]!.claims!.iat as number
      expect(Math.abs(iat - Date.now() / 1000), lastLine).toBeLessThan(10)
      expect(Math.abs(iat - realNow() / 1000 - AHEAD_MS / 1000), lastLine).toBeLessThan(10)
    } finally {
      Date.now = realNow
    }
  })
})

/** How far the servers' clocks run ahead of the browser's in test g, in ms: past the API's 60 s window. */
const AHEAD_MS = 90_000

