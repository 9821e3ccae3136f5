import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WireError } from '../../common/errors.js'
import type { Answer, AskContext } from '../../sw/askClient.js'
import { Backoff } from '../../sw/Backoff.js'
import { Refresher, type RefresherDeps } from '../../sw/Refresher.js'
import { TokenState } from '../../sw/TokenState.js'

type Ask = (client: Client, context: AskContext, timeoutMs: number) => Promise<Answer>
type Tell = (client: Client, error: WireError) => void
const tab = (id: string, extra: Partial<WindowClient> = {}) => ({ id, focused: false, visibilityState: 'visible', ...extra }) as WindowClient

async function setup(ask: Ask, windows = [tab('a')], tell: Tell = () => {}, exclusive?: RefresherDeps['exclusive']) {
  const state = new TokenState(() => {})
  await state.set('old-token', 'set', true)
  const refresher = new Refresher(state, { timeoutMs: 1000, ask: ask as never, windows: async () => windows, tell, ...(exclusive ? { exclusive } : {}) })
  return { state, refresher }
}

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms))

describe('Refresher single flight', () => {
  // IndexedDB (fake-indexeddb) runs on setImmediate: leave that one real.
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }))
  afterEach(() => vi.useRealTimers())

  it('runs one provider call for any number of concurrent callers', async () => {
    const ask = vi.fn<Ask>(() => later(50, { kind: 'token', token: 'new-token' }))
    const { state, refresher } = await setup(ask)
    const outcomes = Promise.all(Array.from({ length: 100 }, () => refresher.run({ reason: 'unauthorized' })))
    await vi.advanceTimersByTimeAsync(60)
    expect(await outcomes).toEqual(Array(100).fill('refreshed'))
    expect(ask).toHaveBeenCalledTimes(1)
    expect(state.token).toBe('new-token')
    expect(refresher.inFlight).toBeUndefined()
  })

  it('asks the requesting tab first, then focused, then visible ones, and moves on from tabs that are gone', async () => {
    const asked: string[] = []
    const ask: Ask = async (client) => {
      asked.push(client.id)
      return client.id === 'hidden' ? { kind: 'token', token: 't' } : { kind: 'gone' }
    }
    const windows = [tab('hidden', { visibilityState: 'hidden' }), tab('visible'), tab('focused', { focused: true }), tab('requester', { visibilityState: 'hidden' })]
    const { refresher } = await setup(ask, windows)
    expect(await refresher.run({ clientId: 'requester', reason: 'unauthorized' })).toBe('refreshed')
    expect(asked).toEqual(['requester', 'focused', 'visible', 'hidden'])
  })

  it('asks tabs known to run a session before any other, the requester included', async () => {
    const asked: string[] = []
    const ask: Ask = async (client) => {
      asked.push(client.id)
      return { kind: 'gone' }
    }
    const { refresher } = await setup(ask, [tab('requester', { focused: true }), tab('session-hidden', { visibilityState: 'hidden' }), tab('session')])
    refresher.knowSession(tab('session-hidden'))
    refresher.knowSession(tab('session'))
    refresher.knowSession(tab('closed-long-ago'))
    expect(await refresher.run({ clientId: 'requester', reason: 'unauthorized' })).toBe('failed')
    expect(asked).toEqual(['session', 'session-hidden', 'requester'])
  })

  it('learns a session from a tab that answers, and stops putting first one that did not', async () => {
    const asked: string[] = []
    let answering = 'b'
    let minted = 0
    const ask: Ask = async (client) => {
      asked.push(client.id)
      return client.id === answering ? { kind: 'token', token: `t-${++minted}` } : { kind: 'gone' }
    }
    const { refresher } = await setup(ask, [tab('a', { focused: true }), tab('b')])
    refresher.knowSession(tab('a'))
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('refreshed')
    expect(asked).toEqual(['a', 'b'])
    answering = 'a'
    asked.length = 0
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('refreshed')
    expect(asked).toEqual(['b', 'a'])
  })

  it('asks the tabs known from their messages when the browser tab list is late (a stuck tab holds it in Firefox)', async () => {
    const asked: string[] = []
    const ask: Ask = async (client) => {
      asked.push(client.id)
      return client.id === 'other' ? { kind: 'token', token: 'new-token' } : { kind: 'gone' }
    }
    const state = new TokenState(() => {})
    await state.set('old-token', 'set', true)
    const open = new Map([['other', tab('other')], ['stuck', tab('stuck')]])
    const refresher = new Refresher(state, { timeoutMs: 1000, ask, windows: () => new Promise(() => {}), find: async (id) => open.get(id) })
    refresher.knowSession(tab('other'))
    refresher.knowSession(tab('stuck'))
    const outcome = refresher.run({ clientId: 'stuck', reason: 'unauthorized' })
    await vi.advanceTimersByTimeAsync(499)
    expect(asked).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(await outcome).toBe('refreshed')
    expect(asked).toEqual(['stuck', 'other'])
  })

  it('when the tab list is late, skips known tabs that closed and asks the most recently heard first', async () => {
    const asked: string[] = []
    const ask: Ask = async (client) => (asked.push(client.id), client.id === 'live' ? { kind: 'token', token: 'new-token' } : { kind: 'gone' })
    const state = new TokenState(() => {})
    await state.set('old-token', 'set', true)
    const open = new Map([['older-live', tab('older-live')], ['live', tab('live')]])
    const refresher = new Refresher(state, { timeoutMs: 1000, ask, windows: () => new Promise(() => {}), find: async (id) => open.get(id) })
    // Three loads of a tab that closed since, heard after the live ones.
    for (const id of ['older-live', 'live', 'closed-1', 'closed-2', 'closed-3']) refresher.knowSession(tab(id))
    const outcome = refresher.run({ reason: 'unauthorized' })
    await vi.advanceTimersByTimeAsync(500)
    expect(await outcome).toBe('refreshed')
    expect(asked).toEqual(['live'])
  })

  it('forgets known tabs the browser list no longer has', async () => {
    const asked: string[] = []
    let minted = 0
    let answering = true
    const ask: Ask = async (client) => (asked.push(client.id), answering ? { kind: 'token', token: `t-${++minted}` } : { kind: 'gone' })
    let windows = [tab('a'), tab('b')]
    const state = new TokenState(() => {})
    await state.set('old-token', 'set', true)
    let listLate = false
    const refresher = new Refresher(state, {
      timeoutMs: 1000,
      ask,
      windows: () => (listLate ? new Promise(() => {}) : Promise.resolve(windows)),
      find: () => new Promise(() => {}), // held too: known tabs are asked as last heard
    })
    refresher.knowSession(tab('a'))
    refresher.knowSession(tab('b'))
    windows = [tab('b')]
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('refreshed') // the list came without a: forgotten
    listLate = true
    answering = false
    asked.length = 0
    const outcome = refresher.run({ reason: 'unauthorized' })
    await vi.advanceTimersByTimeAsync(1000)
    expect(await outcome).toBe('failed')
    expect(asked).toEqual(['b']) // not a, which would be waited out in vain
  })

  it('gives up within the ack timeout when the tab list is late and no tab is known (a restarted worker)', async () => {
    const ask = vi.fn<Ask>()
    const state = new TokenState(() => {})
    await state.set('old-token', 'set', true)
    const refresher = new Refresher(state, { timeoutMs: 1000, ask, windows: () => new Promise(() => {}) })
    const outcome = refresher.run({ reason: 'unauthorized' })
    await vi.advanceTimersByTimeAsync(1500)
    expect(await outcome).toBe('failed')
    expect(ask).not.toHaveBeenCalled()
  })

  it('discards a refresh that finishes after a logout', async () => {
    const { state, refresher } = await setup(() => later(100, { kind: 'token', token: 'late-token' }))
    const outcome = refresher.run({ reason: 'unauthorized' })
    await state.set(null, 'logout', true)
    await vi.advanceTimersByTimeAsync(100)
    expect(await outcome).toBe('discarded')
    expect(state.token).toBeNull()
  })

  it('does not let a refresh asked for after a set join the one that set will discard', async () => {
    let calls = 0
    const { state, refresher } = await setup(() => later(100, { kind: 'token', token: `fresh-${++calls}` }))
    const stale = refresher.run({ reason: 'expiring' })
    await state.set('set-by-hand', 'set', true)
    expect(refresher.inFlight).toBeUndefined()
    const next = refresher.run({ reason: 'expiring' })
    expect(refresher.inFlight).toBe(next)
    await vi.advanceTimersByTimeAsync(100)
    expect(await stale).toBe('discarded')
    expect(await next).toBe('refreshed')
    expect(state.token).toBe('fresh-2')
    expect(refresher.inFlight).toBeUndefined()
  })

  it('does not call the provider while logged out, unless asked explicitly', async () => {
    const ask = vi.fn<Ask>(async () => ({ kind: 'token', token: 'back' }))
    const { state, refresher } = await setup(ask)
    await state.set(null, 'logout', true)
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('logged-out')
    expect(ask).not.toHaveBeenCalled()
    expect(await refresher.run({ reason: 'manual', force: true })).toBe('refreshed')
    expect(state.token).toBe('back')
  })

  it('logs out when the provider answers null', async () => {
    const { state, refresher } = await setup(async () => ({ kind: 'token', token: null }))
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('logged-out')
    expect(state.token).toBeNull()
  })

  it('treats an invalid token from the provider as a failure and keeps the old one', async () => {
    const { state, refresher } = await setup(async () => ({ kind: 'token', token: 'bad\ntoken' }))
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('failed')
    expect(state.token).toBe('old-token')
  })
})

describe('Refresher backoff', () => {
  // IndexedDB (fake-indexeddb) runs on setImmediate: leave that one real.
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }))
  afterEach(() => vi.useRealTimers())

  it('backs off exponentially after failures, up to a cap, and resets on success', async () => {
    let fail = true
    const ask = vi.fn<Ask>(async () => (fail ? { kind: 'error', error: { code: 'provider-failed', message: 'x' } } : { kind: 'token', token: 'ok' }))
    const { refresher } = await setup(ask)
    const attempt = () => refresher.run({ reason: 'unauthorized' })

    expect(await attempt()).toBe('failed') // call 1; wait 1 s
    expect(await attempt()).toBe('failed') // refused without a call
    expect(ask).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1000)
    await attempt() // call 2; wait 2 s
    await vi.advanceTimersByTimeAsync(1999)
    await attempt()
    expect(ask).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1)
    await attempt() // call 3; wait 4 s
    expect(ask).toHaveBeenCalledTimes(3)
    fail = false
    await vi.advanceTimersByTimeAsync(4000)
    expect(await attempt()).toBe('refreshed')
    expect(refresher.backoff.failures).toBe(0)
  })

  it('caps the wait', () => {
    let now = 0
    const backoff = new Backoff(1000, 60_000, () => now)
    for (let i = 0; i < 20; i++) backoff.fail()
    now = 60_000
    expect(backoff.ready()).toBe(true)
  })

  it('backs off when a second fresh token in a row is refused, each counted once however many requests saw it', async () => {
    const { refresher } = await setup(async () => ({ kind: 'token', token: 'new' }))
    // Once may be a real revocation, or an endpoint that answers 401 to anyone.
    for (let i = 0; i < 50; i++) refresher.rejected('first-fresh')
    expect(refresher.backoff.failures).toBe(0)
    for (let i = 0; i < 50; i++) refresher.rejected('second-fresh')
    expect(refresher.backoff.failures).toBe(1)
  })

  it('starts counting again once the API accepts a request', async () => {
    const { refresher } = await setup(async () => ({ kind: 'token', token: 'new' }))
    refresher.rejected('a')
    refresher.accepted()
    refresher.rejected('b')
    expect(refresher.backoff.failures).toBe(0)
  })
})

describe('Refresher after a 401', () => {
  it('counts the refused token handed straight back as a failure, tells that tab stale-token, and backs off', async () => {
    const ask = vi.fn<Ask>(async () => ({ kind: 'token', token: 'old-token' }))
    const told: Array<[string, string]> = []
    const { refresher } = await setup(ask, [tab('a')], (client, error) => told.push([client.id, error.code]))
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('failed')
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('failed')
    expect(ask).toHaveBeenCalledTimes(1)
    expect(ask.mock.calls[0]![1]).toEqual({ reason: 'unauthorized', forceRefresh: true })
    expect(told).toEqual([['a', 'stale-token']])
    expect(refresher.backoff.failures).toBe(1)
  })

  it('lets startup take the cached token when the held one is good, without telling any tab', async () => {
    const ask = vi.fn<Ask>(async () => ({ kind: 'token', token: 'old-token' }))
    const { state, refresher } = await setup(ask)
    const stamp = state.snapshot('load').stamp
    expect(await refresher.run({ reason: 'startup', force: true, forceRefresh: false })).toBe('refreshed')
    expect(ask.mock.calls[0]![1]).toEqual({ reason: 'startup', forceRefresh: false })
    // No new stamp: no tab hears a tokenchange for a token it already has.
    expect(state.snapshot('load').stamp).toBe(stamp)
  })

  it('does not let a 401 join a startup flight that may bring back the cached token: it asks again, forced', async () => {
    let calls = 0
    const ask = vi.fn<Ask>(async (_client, context) => ({ kind: 'token', token: context.forceRefresh ? `new-${++calls}` : 'old-token' }))
    const { state, refresher } = await setup(ask)
    const startup = refresher.run({ reason: 'startup', force: true, forceRefresh: false })
    const unauthorized = refresher.run({ reason: 'unauthorized' })
    expect(await Promise.all([startup, unauthorized])).toEqual(['refreshed', 'refreshed'])
    expect(ask.mock.calls.map((call) => call[1].forceRefresh)).toEqual([false, true])
    expect(state.token).toBe('new-1')
  })

  it('calls nobody when another version of the worker refreshed while this one waited for it (a deploy)', async () => {
    const ask = vi.fn<Ask>(async () => ({ kind: 'token', token: 'mine' }))
    let state: TokenState | undefined
    const { state: s, refresher } = await setup(ask, [tab('a')], () => {}, async (fly) => {
      await state!.set('stored-by-the-other-version', 'refresh', false) // what resync reads back
      return fly()
    })
    state = s
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('refreshed')
    expect(ask).not.toHaveBeenCalled()
    expect(s.token).toBe('stored-by-the-other-version')
  })

  it('joins a forced flight from startup: tabs restored together make one call', async () => {
    const ask = vi.fn<Ask>(async () => ({ kind: 'token', token: 'new-token' }))
    const { refresher } = await setup(ask)
    const outcomes = await Promise.all([
      refresher.run({ reason: 'unauthorized' }),
      ...Array.from({ length: 4 }, () => refresher.run({ reason: 'startup', force: true, forceRefresh: false })),
    ])
    expect(outcomes).toEqual(Array(5).fill('refreshed'))
    expect(ask).toHaveBeenCalledTimes(1)
  })
})

describe('Refresher at startup, right after another tab refreshed', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] }))
  afterEach(() => vi.useRealTimers())

  it('asks a tab starting just after a flight brought a token only once that token can have reached its SDK storage', async () => {
    // One SDK storage shared by the tabs, which a late tab sees 300 ms after the refreshing tab wrote it.
    let stored = 'old-token'
    let seen = 'old-token'
    let providerCalls = 0
    const ask = vi.fn<Ask>(async (_client, context) => {
      if (!context.forceRefresh && seen !== 'old-token') return { kind: 'token', token: seen }
      stored = `new-${++providerCalls}` // forced, or the SDK renewing the near-expiry token it sees
      setTimeout(() => (seen = stored), 300)
      return { kind: 'token', token: stored }
    })
    const { state, refresher } = await setup(ask)
    expect(await refresher.run({ reason: 'startup', force: true, forceRefresh: true })).toBe('refreshed')
    const late = refresher.run({ reason: 'startup', force: true, forceRefresh: false })
    await vi.advanceTimersByTimeAsync(999)
    expect(ask).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(await late).toBe('refreshed')
    expect(ask).toHaveBeenCalledTimes(2)
    expect(providerCalls).toBe(1)
    expect(state.token).toBe('new-1')
  })

  it('still takes the SDK answer of a tab starting just after a flight: a tab signed in as someone else wins', async () => {
    const ask = vi.fn<Ask>(async (_client, context) => ({ kind: 'token', token: context.forceRefresh ? 'alice-new' : 'bob' }))
    const { state, refresher } = await setup(ask)
    await refresher.run({ reason: 'startup', force: true, forceRefresh: true })
    const late = refresher.run({ reason: 'startup', force: true, forceRefresh: false })
    await vi.advanceTimersByTimeAsync(1000)
    expect(await late).toBe('refreshed')
    expect(state.token).toBe('bob')
  })

  it('does not hold back a forced refresh, nor a startup long after the last flight', async () => {
    let minted = 0
    const ask = vi.fn<Ask>(async () => ({ kind: 'token', token: `new-${++minted}` }))
    const { refresher } = await setup(ask)
    await refresher.run({ reason: 'startup', force: true, forceRefresh: true })
    expect(await refresher.run({ reason: 'unauthorized' })).toBe('refreshed')
    expect(ask).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1000)
    expect(await refresher.run({ reason: 'startup', force: true, forceRefresh: false })).toBe('refreshed')
    expect(ask).toHaveBeenCalledTimes(3)
  })

  it('lets a logout or a set during that wait win: the waiting startup is discarded, the SDK not asked', async () => {
    for (const act of ['logout', 'set'] as const) {
      const ask = vi.fn<Ask>(async (_client, context) => ({ kind: 'token', token: context.forceRefresh ? 'new-1' : 'old-token' }))
      const { state, refresher } = await setup(ask)
      await refresher.run({ reason: 'startup', force: true, forceRefresh: true })
      const late = refresher.run({ reason: 'startup', force: true, forceRefresh: false })
      await vi.advanceTimersByTimeAsync(300)
      await state.set(act === 'logout' ? null : 'set-by-hand', act, true)
      await vi.advanceTimersByTimeAsync(700)
      expect(await late).toBe('discarded')
      expect(ask).toHaveBeenCalledTimes(1)
      expect(state.token).toBe(act === 'logout' ? null : 'set-by-hand')
    }
  })

  it('waits by a monotonic clock: a wall clock set back an hour does not stretch the wait', async () => {
    const ask = vi.fn<Ask>(async () => ({ kind: 'token', token: 'new-1' }))
    const { refresher } = await setup(ask)
    await refresher.run({ reason: 'startup', force: true, forceRefresh: true })
    vi.setSystemTime(Date.now() - 3_600_000)
    const late = refresher.run({ reason: 'startup', force: true, forceRefresh: false })
    await vi.advanceTimersByTimeAsync(1000)
    expect(await late).toBe('refreshed')
    expect(ask).toHaveBeenCalledTimes(2)
  })
})
