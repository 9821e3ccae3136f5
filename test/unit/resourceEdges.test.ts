/**
 * Issue 15's edges, from a fresh review that set out to break a token per resource: user switches
 * the worker only sees at a tab's start, a deploy's older version, bad input, the in-page fallback,
 * adapters, and the worker's own wiring (furnishRooms) with real flights.
 */
import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { deleteDB } from 'idb'
import type { SessionState } from '../../common/protocol.js'
import { pageMessage } from '../../common/protocol.js'
import { parseOrigins } from '../../sw/origins.js'
import { Rooms, type Furnish } from '../../sw/resources/Rooms.js'
import { furnishRooms } from '../../sw/resources/furnish.js'
import { Refresher } from '../../sw/Refresher.js'
import { dbName, readToken, recordKey, writeToken } from '../../sw/tokenStore.js'
import { prepareFallback } from '../../src/inPage/fallbackOptions.js'
import { TokenSession as Session } from '../../src/TokenSession.js'
import { fromAuth0, fromOkta } from '../../adapters/index.js'
import type { Answer, AskContext } from '../../sw/askClient.js'


const furnish = statesOnly

function start(list: Parameters<typeof parseOrigins>[0] = [API, { origin: BILLING, resource: RESOURCE }], f: Furnish = furnish) {
  const told: SessionState[] = []
  const rooms = new Rooms(parseOrigins(list), (s) => told.push(s), () => {}, f)
  return { rooms, told, main: rooms.default.state, billing: rooms.forResource(list.length > 1 ? (list[1] as { resource: string }).resource : undefined)!.state }
}
const loadAll = (rooms: Rooms) => Promise.all(rooms.all.map((r) => r.state.load()))
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))

beforeEach(() => deleteDB(dbName()))

describe('user switch / logout', () => {
  it('an opaque default token of another user (an account switch seen only at a tab\'s start) drops the last user\'s resource token', async () => {
    const { rooms, main, billing } = start()
    await loadAll(rooms)
    // Opaque default tokens (no sub): Alice signs in through the provider (a refresh flight, not setToken).
    await main.set('opaque-alice-token', 'refresh', false)
    await billing.set(aliceBilling, 'refresh', false)
    // Alice switched account at the IdP ("log in as someone else", a redirect); the next startup's
    // getter answers Carol's token. The worker never saw a null in between.
    await main.set('opaque-carol-token', 'refresh', false)
    // Carol's requests to billing now carry Alice's billing token.
    expect(billing.token).toBeNull()
  })

  it('a logout deletes the stored token of a resource this version no longer lists', async () => {
    const { rooms, main } = start()
    await loadAll(rooms)
    await main.set(alice, 'set', true)
    // The previous deploy listed { origin: BILLING, resource: 'https://billing.example.com' } (no slash).
    await writeToken(aliceBilling, Date.now() + 5, 0, recordKey('https://billing.example.com'), main.session!)
    await main.set(null, 'logout', true)
    await tick(20)
    expect((await readToken(recordKey('https://billing.example.com'))).token).toBeUndefined()
  })

  it('a default token stored by a version before resources keeps the resource tokens fetched beside it across restarts', async () => {
    // What the previous release stored, and nothing has refreshed since.
    await writeToken(alice, Date.now())
    const first = start()
    await loadAll(first.rooms)
    await first.billing.set(aliceBilling, 'refresh', false)
    // The idle worker stops (30 s) and restarts: same sign-in, nothing changed.
    const restarted = start()
    await restarted.billing.load()
    expect(restarted.billing.token).toBe(aliceBilling)
  })

  it("a resource's first flight that lands after another worker version signed someone else in is discarded", async () => {
    let answer!: (a: Answer) => void
    const asked: AskContext[] = []
    const f: Furnish = (state) => {
      const refresher = new Refresher(state, {
        timeoutMs: 1000,
        ask: async (_c, ctx) => (asked.push(ctx), new Promise<Answer>((r) => (answer = r))),
        windows: async () => [{ id: 'tab', focused: true, visibilityState: 'visible' } as unknown as WindowClient],
        reread: () => state.resync(),
      })
      return { refresher, expiry: {} as never, send: {} as never }
    }
    const { rooms, main, billing } = start(undefined, f)
    await loadAll(rooms)
    await main.set(alice, 'set', true)
    const room = rooms.forResource(RESOURCE)!
    // Alice's first request to billing: its token is fetched.
    const flight = room.refresher.run({ clientId: 'tab', reason: 'startup', forceRefresh: false })
    await tick(5)
    expect(asked).toHaveLength(1)
    // Meanwhile the other version (a deploy's overlap) signs Bob in and tells its peers.
    await writeToken(bob, Date.now() + 1000, 0, recordKey(undefined), 'bob-session')
    await rooms.resync()
    expect(main.token).toBe(bob)
    // The tab's SDK answers for the call it was asked: Alice's billing token.
    answer({ kind: 'token', token: aliceBilling })
    await flight
    expect(billing.token).not.toBe(aliceBilling)
  })
})

describe('bad input', () => {
  it('a resource named "__proto__" is invalid-options: it would name a prototype wherever resources are listed', () => {
    expect(() => parseOrigins([API, { origin: BILLING, resource: '__proto__' }])).toThrow(expect.objectContaining({ code: 'invalid-options' }))
  })

  it('an entry that JSON cannot print (a BigInt) is invalid-options, in the worker and the fallback', () => {
    let error: unknown
    try {
      parseOrigins([{ origin: BILLING, resource: 1n } as never])
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ name: 'SwBearerError', code: 'invalid-options' })
    let fallbackError: unknown
    try {
      prepareFallback({ apiOrigins: [{ origin: BILLING, resource: 1n } as never] }, `${location.origin}/`)
    } catch (e) {
      fallbackError = e
    }
    expect(fallbackError).toMatchObject({ name: 'SwBearerError', code: 'invalid-options' })
  })

  it('refuses equivalent origins with two resources and empty, spaced or huge resources; takes exact duplicates', () => {
    expect(() => parseOrigins([API, { origin: `${API}:443`, resource: 'x' }])).toThrow(expect.objectContaining({ code: 'invalid-options' }))
    for (const resource of ['', ' a', 'a b', 'x'.repeat(2049), 'é', 'a\nb']) {
      expect(() => parseOrigins([{ origin: BILLING, resource }])).toThrow(expect.objectContaining({ code: 'invalid-options' }))
    }
    expect(parseOrigins([API, API, { origin: BILLING, resource: 'r' }, { origin: BILLING, resource: 'r' }]).origins.size).toBe(2)
  })
})

describe('in-page fallback', () => {
  it('the fallback refuses the list the worker refuses (one origin, two resources)', () => {
    const list = [{ origin: BILLING, resource: RESOURCE }, BILLING]
    expect(() => parseOrigins(list)).toThrow(expect.objectContaining({ code: 'invalid-options' }))
    // The worker failed to install, so the page runs in-page with the same list…
    expect(() => prepareFallback({ apiOrigins: list }, `${location.origin}/`)).toThrow(expect.objectContaining({ code: 'invalid-options' }))
  })

  it('refresh({ resource }) while the worker is gone for good is invalid-options, never the default token', async () => {
    const fallback = prepareFallback({ apiOrigins: [API] }, `${location.origin}/gone15/`)
    const gone = Object.assign(new Error('gone'), { code: 'registration-failed' })
    const contexts: unknown[] = []
    const getter = async (ctx: { resource?: string }) => (contexts.push(ctx), ctx.resource === undefined ? 'default-token' : 'billing-token')
    const session = new Session(getter, () => null, () => Promise.reject(gone), { debug: false, inPage: fallback.start })
    session.applyState({ claims: null, hasToken: true, stamp: 4, cause: 'load', resources: { [RESOURCE]: { claims: null, hasToken: true, stamp: 3 } } })
    session.ready()
    expect(session.resources).toEqual([RESOURCE])
    const got = await session.refresh({ resource: RESOURCE }).catch((e) => e)
    expect(got).not.toBe('default-token')
  })
})

describe('adapters', () => {
  const forBilling = { reason: 'startup' as const, forceRefresh: false, resource: RESOURCE }

  it('fromOkta: a resource named like an Object.prototype member is invalid-options', async () => {
    const client = { tokenManager: { getTokensSync: () => ({ accessToken: { accessToken: 'api' } }), hasExpired: () => false, renew: vi.fn() } }
    for (const resource of ['toString', '__proto__', 'constructor']) {
      await expect(fromOkta(client, { resources: {} })({ ...forBilling, resource }), resource).rejects.toMatchObject({ code: 'invalid-options' })
    }
  })

})

describe('signals on the page', () => {
  afterEach(() => vi.restoreAllMocks())

  it("a resource's getter failure reaches the app as an error event that names the resource", async () => {
    const session = new Session(async (ctx) => {
      if (ctx.resource) throw Object.assign(new Error('missing_refresh_token'), { error: 'missing_refresh_token' })
      return 'tok'
    }, () => null, async () => {})
    session.ready()
    const details: any[] = []
    session.addEventListener('error', (e) => details.push((e as CustomEvent).detail))
    const { port1, port2 } = new MessageChannel()
    session.receive(new MessageEvent('message', { data: { protocol: 'sw-bearer', v: 1, type: 'refresh-request', reason: 'startup', forceRefresh: false, resource: RESOURCE }, ports: [port2] }))
    await tick(10)
    port1.close()
    expect(details).toHaveLength(1)
    expect(details[0]).toMatchObject({ resource: RESOURCE })
  })
})


// ---- A worker's rooms as installTokenInjection furnishes them: real Refresher, ExpiryGuard and
// authorizedFetch, one lock shared by every flight (peers.exclusive, as a plain mutex here).

function mutex() {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => {})
    return run
  }
}

function worker(ask: (ctx: AskContext, client: Client) => Promise<Answer>) {
  const exclusive = mutex()
  const tab = { id: 'tab', type: 'window', frameType: 'top-level', focused: true, visibilityState: 'visible' } as unknown as WindowClient
  let rooms!: Rooms
  // The worker's own wiring (furnishRooms), with the browser's parts stood in for.
  const f: Furnish = furnishRooms({
    timeoutMs: 10_000,
    leewaySeconds: 30,
    rooms: () => rooms,
    refresher: { ask: (client, ctx) => ask(ctx, client), windows: async () => [tab], find: async () => tab, tell: () => {}, exclusive },
  })
  rooms = new Rooms(parseOrigins([API, { origin: BILLING, resource: RESOURCE }]), () => {}, () => {}, f)
  // happy-dom's Request has no destination; a fetch()'s is ''.
  const request = (url: string) => Object.defineProperty(new Request(url), 'destination', { value: '' })
  const send = (url: string, client = 'tab') => rooms.forOrigin(new URL(url).origin)!.send.send(request(url), client)
  return { rooms, send }
}

describe('worker: rooms with real flights', () => {
  let seen: Array<{ url: string; auth: string | null }> = []
  let accept: (url: string, auth: string | null) => boolean = () => true
  beforeEach(() => {
    seen = []
    accept = () => true
    vi.stubGlobal('self', { clients: { get: async () => ({ id: 'tab', type: 'window', frameType: 'top-level' }) } })
    vi.stubGlobal('fetch', async (request: Request) => {
      const auth = request.headers.get('authorization')
      seen.push({ url: request.url, auth })
      return new Response('x', { status: accept(request.url, auth) ? 200 : 401 })
    })
  })
  afterEach(() => vi.unstubAllGlobals())

  it('a 401 storm on both APIs at once costs one provider call per resource, each origin only ever sees its own token', async () => {
    const calls: AskContext[] = []
    let n = 0
    const { rooms, send } = worker(async (ctx) => {
      calls.push(ctx)
      await tick(20)
      return { kind: 'token', token: jwt({ sub: 'alice', aud: ctx.resource ?? API, n: ++n }) }
    })
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true)
    await rooms.forResource(RESOURCE)!.state.set(aliceBilling, 'refresh', false)
    // Both APIs revoke what they were given.
    accept = (url, auth) => auth !== `Bearer ${alice}` && auth !== `Bearer ${aliceBilling}`
    const all = await Promise.all(Array.from({ length: 60 }, (_, i) => send(`${i % 2 ? API : BILLING}/r${i}`)))
    expect(all.every((r) => r.status === 200)).toBe(true)
    expect(calls.filter((c) => c.resource === undefined)).toHaveLength(1)
    expect(calls.filter((c) => c.resource === RESOURCE)).toHaveLength(1)
    for (const { url, auth } of seen) {
      const aud = auth && JSON.parse(Buffer.from(auth.split('.')[1]!, 'base64url').toString()).aud
      expect(aud, url).toBe(url.startsWith(BILLING) ? RESOURCE : API)
    }
  })

  it('a logout while a resource flight is under way discards it; nothing goes with the old token afterwards', async () => {
    let release!: () => void
    const { rooms, send } = worker(async (ctx) => {
      if (ctx.resource) await new Promise<void>((r) => (release = r))
      return { kind: 'token', token: ctx.resource ? aliceBilling : alice }
    })
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true)
    const pending = send(`${BILLING}/first-use`)
    await vi.waitFor(() => expect(release).toBeTypeOf('function'))
    await rooms.default.state.set(null, 'logout', true)
    release()
    const r = await pending
    expect(r.status).toBe(200)
    expect(rooms.forResource(RESOURCE)!.state.token).toBeNull()
    expect(seen.at(-1)!.auth).toBeNull()
  })

  it("a getter that ignores `resource` never puts the default token on the resource's origin", async () => {
    const { rooms, send } = worker(async () => ({ kind: 'token', token: alice }))
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true)
    await send(`${BILLING}/invoices`)
    // Issue 15, behaviour 1: a token for one resource is never sent to another's origin.
    expect(seen.filter((s) => s.url.startsWith(BILLING)).map((s) => s.auth)).not.toContain(`Bearer ${alice}`)
  })

  it("a 401 from the resource's origin that a redirect from the default's API led to refreshes nothing", async () => {
    const asked: AskContext[] = []
    const { rooms, send } = worker(async (ctx) => (asked.push(ctx), { kind: 'token', token: alice }))
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true)
    vi.stubGlobal('fetch', async (request: Request) => {
      seen.push({ url: request.url, auth: request.headers.get('authorization') })
      const response = new Response('nope', { status: 401 })
      Object.defineProperty(response, 'url', { value: `${BILLING}/landed` })
      return response
    })
    const r = await send(`${API}/moved`)
    expect(r.status).toBe(401)
    expect(asked).toEqual([])
    expect(seen).toHaveLength(1)
  })

  it("a request from the tab running the default's getter to a resource's origin is not held behind the shared lock", async () => {
    let extraFinished: number | undefined
    let extraDone: Promise<unknown> | undefined
    const started = Date.now()
    const asked: AskContext[] = []
    const { rooms, send } = worker(async (ctx) => {
      asked.push(ctx)
      if (ctx.resource === undefined) {
        // The SDK's own call made from the getter, to an unrecognised route on the billing API
        // (a BFF session endpoint not in authRoutes): the README promises it waits at most 1 s.
        const extra = (extraDone = send(`${BILLING}/session`).then(() => (extraFinished = Date.now() - started)))
        await Promise.race([extra, tick(1500)])
        return { kind: 'token', token: jwt({ sub: 'alice', aud: API, n: 2 }) }
      }
      return { kind: 'token', token: aliceBilling }
    })
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true) // billing not fetched yet (first use)
    const outcome = await rooms.default.refresher.run({ clientId: 'tab', reason: 'unauthorized' })
    expect(outcome).toBe('refreshed')
    await extraDone
    // It went at once, without a token (billing had none), rather than start billing's flight
    // behind the lock the default's flight holds: the getter was waiting for it.
    expect(asked.map((c) => c.resource)).toEqual([undefined])
    expect(extraFinished).toBeDefined()
    expect(extraFinished!).toBeLessThan(1300)
    expect(seen.find((r) => r.url === `${BILLING}/session`)?.auth).toBeNull()
  }, 10_000)
})

describe('page: resource views', () => {
  it('a stale state without resources (the old worker of a deploy) leaves the views, and the next change fires resourcechange', () => {
    const session = new Session(async () => 'tok', () => null, async () => {})
    session.applyState({ claims: null, hasToken: true, stamp: 10, cause: 'load', resources: { [RESOURCE]: { claims: null, hasToken: false, stamp: 10 } } })
    session.ready()
    const changes: unknown[] = []
    session.addEventListener('resourcechange', (e) => changes.push((e as CustomEvent).detail))
    // Older than what the tab holds: its default part is ignored, its (missing) resources are not.
    session.applyState({ claims: null, hasToken: true, stamp: 5, cause: 'load' })
    expect(session.resources).toEqual([RESOURCE])
    session.applyState({ claims: null, hasToken: true, stamp: 10, cause: 'load', resources: { [RESOURCE]: { claims: { aud: RESOURCE }, hasToken: true, stamp: 11 } } })
    expect(changes).toHaveLength(1)
  })
})


import { fromOidcClient } from '../../adapters/index.js'
import { alice, aliceBilling, API, BILLING, bob, jwt, RESOURCE, statesOnly } from './resourceFixtures.js'

describe("worker: a resource's \"nobody\" and another room's token", () => {
  let seen: Array<{ url: string; auth: string | null }> = []
  beforeEach(() => {
    seen = []
    vi.stubGlobal('fetch', async (request: Request) => {
      seen.push({ url: request.url, auth: request.headers.get('authorization') })
      return new Response('ok')
    })
  })
  afterEach(() => vi.unstubAllGlobals())

  it("a resource's getter saying nobody signs nobody out while the default token's getter still has the session", async () => {
    const asked: AskContext[] = []
    const { rooms, send } = worker(async (ctx) => (asked.push(ctx), { kind: 'token', token: ctx.resource ? null : alice }))
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true)
    await send(`${BILLING}/first-use`)
    // The default's getter was asked (unforced: its cache will do) and still has Alice.
    expect(asked.map((c) => [c.resource, c.forceRefresh])).toEqual([[RESOURCE, false], [undefined, false]])
    expect(rooms.default.state.token).toBe(alice)
    expect(seen.at(-1)).toEqual({ url: `${BILLING}/first-use`, auth: null })
    // …and billing's failure backs off rather than ask on every request.
    await send(`${BILLING}/again`)
    expect(asked).toHaveLength(2)
  })

  it("when the default token's getter agrees nobody is signed in, every token is cleared", async () => {
    const { rooms, send } = worker(async () => ({ kind: 'token', token: null }))
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true)
    await send(`${BILLING}/first-use`)
    expect(rooms.default.state.token).toBeNull()
    expect(rooms.default.state.known).toBe(true)
  })

  it("the default token never takes another room's token (a getter, or a failed put-back, handing over billing's)", async () => {
    const { rooms } = worker(async () => ({ kind: 'token', token: aliceBilling }))
    await loadAll(rooms)
    await rooms.default.state.set(alice, 'set', true)
    await rooms.forResource(RESOURCE)!.state.set(aliceBilling, 'refresh', false)
    expect(await rooms.default.refresher.run({ clientId: 'tab', reason: 'unauthorized' })).toBe('failed')
    expect(rooms.default.state.token).toBe(alice)
  })
})
