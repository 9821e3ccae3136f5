import 'fake-indexeddb/auto'
import { beforeEach, describe, expect, it } from 'vitest'
import { ExpiryGuard } from '../../sw/ExpiryGuard.js'
import type { Refresher } from '../../sw/Refresher.js'
import { TokenState } from '../../sw/TokenState.js'

const jwt = (secondsLeft: number) =>
  `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + secondsLeft })).toString('base64url')}.c2ln`

describe('ExpiryGuard', () => {
  it('stops refreshing ahead when a fresh token still looks expired (a skewed clock)', async () => {
    const state = new TokenState(() => {})
    await state.set(jwt(10), 'set', true)
    const refresher = { run: async () => (await state.set(jwt(5), 'refresh', false), 'refreshed') } as unknown as Refresher
    const guard = new ExpiryGuard(state, refresher, 30)
    await guard.check(undefined)
    expect(guard.due()).toBe(false)
  })

  it('keeps refreshing ahead when the refresh brought no new token (the SDK cache answered with the held one)', async () => {
    const state = new TokenState(() => {})
    await state.set(jwt(10), 'set', true)
    const refresher = { run: async () => 'refreshed' } as unknown as Refresher
    const guard = new ExpiryGuard(state, refresher, 30)
    await guard.check(undefined)
    expect(guard.due()).toBe(true)
  })

  it('judges the token the refresh brought, not one a person set while it ran', async () => {
    const state = new TokenState(() => {})
    await state.set(jwt(10), 'set', true)
    const refresher = {
      run: async () => {
        await state.set(jwt(3600), 'refresh', false)
        await state.set(jwt(20), 'set', true) // setToken arrives before this refresh's caller resumes
        return 'refreshed'
      },
    } as unknown as Refresher
    const guard = new ExpiryGuard(state, refresher, 30)
    await guard.check(undefined)
    expect(guard.due()).toBe(true)
  })
})

describe("expiry on the issuer's clock", () => {
  // fake-indexeddb lives as long as the file: start each test from a stored logout, no offset.
  beforeEach(() => new TokenState(() => {}).set(null, 'logout', true))

  const minted = (offsetSeconds: number, lifetime: number, ageSeconds = 0) => {
    const iat = Math.floor(Date.now() / 1000) + offsetSeconds - ageSeconds
    return `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ iat, exp: iat + lifetime })).toString('base64url')}.c2ln`
  }

  it('learns a browser clock ten minutes slow from any token: iat in the future is no age', async () => {
    const state = new TokenState(() => {})
    await state.set(minted(600, 90), 'set', true)
    expect(state.secondsLeft()).toBeGreaterThan(88)
    expect(state.secondsLeft()).toBeLessThanOrEqual(90)
  })

  it('learns a browser clock ten minutes fast from a freshly minted token, not from a cached one', async () => {
    const state = new TokenState(() => {})
    await state.set(minted(-600, 90), 'refresh', false) // unforced: maybe cached, maybe a fast clock
    expect(state.secondsLeft()).toBeLessThan(0)
    await state.set(minted(-600, 90), 'refresh', false, true) // minted on a forced refresh
    expect(state.secondsLeft()).toBeGreaterThan(88)
  })

  it('does not take an old token handed back on a forced call for a fast clock (Privy cannot force)', async () => {
    const state = new TokenState(() => {})
    await state.set(minted(0, 312, 300), 'refresh', false, true) // minted 300 s ago, 12 s left
    expect(state.secondsLeft()).toBeGreaterThan(10)
    expect(state.secondsLeft()).toBeLessThanOrEqual(12)
  })

  it('takes a cached token for as old as it is while the clock is right', async () => {
    const state = new TokenState(() => {})
    await state.set(minted(0, 90), 'refresh', false, true)
    await state.set(minted(0, 90, 80), 'refresh', false) // 80 s old, from the SDK's cache
    expect(state.secondsLeft()).toBeGreaterThan(8)
    expect(state.secondsLeft()).toBeLessThanOrEqual(11)
  })
})

describe('a restarted worker', () => {
  it('keeps the clock offset it learnt, with the token, in IndexedDB', async () => {
    const iat = Math.floor(Date.now() / 1000) + 600
    const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ iat, exp: iat + 90 })).toString('base64url')}.c2ln`
    await new TokenState(() => {}).set(token, 'set', true)
    const restarted = new TokenState(() => {})
    await restarted.load()
    expect(restarted.token).toBe(token)
    expect(restarted.secondsLeft()).toBeGreaterThan(88)
  })
})
