import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
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
