import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'
import { deleteDB, openDB } from 'idb'
import { dbName, readToken, writeToken } from '../../sw/tokenStore.js'
import { TokenState } from '../../sw/TokenState.js'

describe('token store', () => {
  it('keeps the token and a monotonic stamp, and forgets the token on logout', async () => {
    await writeToken('t1', 10)
    expect(await readToken()).toEqual({ token: { token: 't1', stamp: 10, clockOffset: 0 }, stamp: 10 })
    await writeToken(null, 11)
    expect(await readToken()).toEqual({ token: undefined, stamp: 11 })
  })

  it('steps aside for a newer schema, and tries again after a failed open instead of keeping the failure', async () => {
    await writeToken('t1', 12)
    // A newer worker upgrades (our open connection must close for it), then a rollback opens with v1.
    ;(await openDB(dbName(), 99)).close()
    await expect(readToken()).rejects.toThrow()
    await deleteDB(dbName())
    expect(await readToken()).toEqual({ token: undefined, stamp: 0 })
  })
})

describe('TokenState', () => {
  const jwt = (payload: object) => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`

  it('a new worker instance reads back what the previous one stored', async () => {
    const first = new TokenState(() => {})
    await first.set(jwt({ sub: 'u', exp: 2_000_000_000 }), 'set', true)
    const restarted = new TokenState(() => {})
    expect(restarted.loaded).toBe(false)
    await restarted.load()
    expect(restarted.claims).toMatchObject({ sub: 'u' })
    expect(restarted.header).toMatch(/^Bearer eyJ/)
  })

  it('a late first read that finds what was stored before this instance started does not discard the refresh in flight; a write since does', async () => {
    await deleteDB(dbName())
    const state = new TokenState(() => {})
    await state.load() // its first read found nothing (as one that timed out would)
    const before = state.generation
    await writeToken(jwt({ sub: 'stored-earlier' }), Date.now() - 60_000)
    await state.resync()
    expect(state.claims).toMatchObject({ sub: 'stored-earlier' })
    expect(state.generation).toBe(before)
    await writeToken(jwt({ sub: 'another-version' }), Date.now() + 1)
    await state.resync()
    expect(state.claims).toMatchObject({ sub: 'another-version' })
    expect(state.generation).toBe(before + 1)
  })

  it('decodes claims once per token; opaque tokens have none and never expire here', async () => {
    const state = new TokenState(() => {})
    await state.set('opaque-token', 'set', true)
    expect(state.claims).toBeNull()
    expect(state.secondsLeft()).toBe(Infinity)
    await state.set(jwt({ exp: 1000 }), 'refresh', false)
    expect(state.secondsLeft(990_000)).toBe(10)
  })

  it('tells every listener about each change with a stamp that only grows', async () => {
    const seen = vi.fn()
    const state = new TokenState(seen)
    await state.set('a', 'set', true)
    await state.set(null, 'logout', true)
    const [[first], [second]] = seen.mock.calls
    expect(first).toMatchObject({ hasToken: true, cause: 'set' })
    expect(second).toMatchObject({ hasToken: false, cause: 'logout', claims: null })
    expect(second.stamp).toBeGreaterThan(first.stamp)
  })

  it('counts explicit sets and logouts as a new generation, refreshes not', async () => {
    const state = new TokenState(() => {})
    await state.load()
    const g = state.generation
    await state.set('a', 'refresh', false)
    expect(state.generation).toBe(g)
    await state.set(null, 'logout', true)
    expect(state.generation).toBe(g + 1)
  })
})

describe('readClaims', () => {
  it('reads a JWT payload and gives null for anything else, without throwing', async () => {
    const { readClaims } = await import('../../common/claims.js')
    const payload = Buffer.from(JSON.stringify({ sub: 'u', exp: 1 })).toString('base64url')
    expect(readClaims(`h.${payload}.s`)).toEqual({ sub: 'u', exp: 1 })
    for (const token of ['opaque', 'a.b', 'a.b.c', `h.${Buffer.from('[1]').toString('base64url')}.s`, `h.${Buffer.from('null').toString('base64url')}.s`, 'h.%%%.s']) {
      expect(readClaims(token), token).toBeNull()
    }
  })
})

describe('TokenState.resync', () => {
  it('takes a newer write by another worker instance, and ignores an older one', async () => {
    const oldWorker = new TokenState(() => {})
    const newWorker = new TokenState(() => {})
    await oldWorker.set('before-update', 'set', true)
    await newWorker.load()
    await oldWorker.set('handed-to-the-old-worker', 'set', true)
    await newWorker.resync()
    expect(newWorker.token).toBe('handed-to-the-old-worker')
    await newWorker.set('newest', 'set', true)
    await newWorker.resync()
    expect(newWorker.token).toBe('newest')
  })
})
