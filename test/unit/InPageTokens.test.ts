import { afterEach, describe, expect, it, vi } from 'vitest'
import type { SwBearerError } from '../../common/errors.js'
import type { SessionState } from '../../common/protocol.js'
import { InPageTokens } from '../../src/inPage/InPageTokens.js'

const b64 = (value: object) => btoa(JSON.stringify(value)).replaceAll('=', '').replaceAll('+', '-').replaceAll('/', '_')
const jwt = (claims: object) => `${b64({ alg: 'none' })}.${b64(claims)}.sig`
const now = () => Math.floor(Date.now() / 1000)

let open: InPageTokens[] = []
afterEach(() => {
  for (const tokens of open) tokens.close()
  open = []
})

function make(provider: () => Promise<string | null>, scope = `s${Math.random()}`) {
  const states: SessionState[] = []
  const errors: SwBearerError[] = []
  const calls = vi.fn(provider)
  const tokens = new InPageTokens({ scope, callProvider: () => calls(), onState: (s) => states.push(s), onError: (e) => errors.push(e) })
  open.push(tokens)
  return { tokens, states, errors, calls }
}

describe('the in-page session', () => {
  it('makes one provider call for every caller of the same moment', async () => {
    const { tokens, calls } = make(async () => 'a')
    await Promise.all([1, 2, 3].map(() => tokens.run({ reason: 'unauthorized', forceRefresh: true })))
    expect(calls).toHaveBeenCalledTimes(1)
    expect(tokens.token).toBe('a')
  })

  it('discards a refresh that completes after a logout', async () => {
    let answer!: (token: string) => void
    const { tokens, states, calls } = make(() => new Promise((resolve) => (answer = resolve)))
    const flight = tokens.run({ reason: 'startup', forceRefresh: false })
    await vi.waitFor(() => expect(calls).toHaveBeenCalled())
    await tokens.set(null, 'logout')
    answer('late')
    expect(await flight).toBe('logged-out')
    expect(tokens.token).toBeNull()
    expect(states.at(-1)?.hasToken).toBe(false)
  })

  it('retries a 401 only with a token other than the refused one, and says when the SDK hands the same one back', async () => {
    const { tokens, errors } = make(async () => 'same')
    await tokens.run({ reason: 'startup', forceRefresh: false })
    expect(await tokens.recover('same', tokens.logouts)).toBe(false)
    expect(errors.map((e) => e.code)).toEqual(['stale-token'])
  })

  it('retries a 401 for a token already replaced without asking the provider again', async () => {
    let n = 0
    const { tokens, calls } = make(async () => `t${++n}`)
    await tokens.run({ reason: 'startup', forceRefresh: false })
    await tokens.run({ reason: 'manual', forceRefresh: true })
    expect(await tokens.recover('t1', tokens.logouts)).toBe(true)
    expect(calls).toHaveBeenCalledTimes(2)
  })

  it('refreshes a JWT inside the leeway before it is sent, and stops refreshing ahead when fresh tokens still look expired', async () => {
    let exp = now() + 10
    const { tokens, calls } = make(async () => jwt({ exp, n: Math.random() }))
    await tokens.run({ reason: 'startup', forceRefresh: false })
    expect(tokens.due()).toBe(true)
    exp = now() + 3600
    expect(await tokens.ready()).toBe(false)
    expect(calls).toHaveBeenCalledTimes(2)
    expect(tokens.due()).toBe(false)
    // An issuer (or clock) whose fresh tokens are always inside the leeway: one refresh, then the 401 path.
    exp = now() + 5
    await tokens.run({ reason: 'manual', forceRefresh: true })
    await tokens.ready()
    await tokens.ready()
    expect(calls).toHaveBeenCalledTimes(4)
  })

  it('without Web Locks (an insecure origin), tabs refreshing at once elect one to call the provider', async () => {
    expect(navigator.locks).toBeFalsy()
    const scope = `s${Math.random()}`
    const slow = (token: string) => () => new Promise<string>((resolve) => setTimeout(() => resolve(token), 300))
    const tabs = [make(slow('a'), scope), make(slow('b'), scope), make(slow('c'), scope)]
    await Promise.all(tabs.map((t) => t.tokens.run({ reason: 'unauthorized', forceRefresh: true })))
    expect(tabs.reduce((sum, t) => sum + t.calls.mock.calls.length, 0)).toBe(1)
    const [token] = new Set(tabs.map((t) => t.tokens.token))
    expect(tabs.every((t) => t.tokens.token === token && token !== null)).toBe(true)
  })

  it('shares a token and a logout with the other tabs of the same app only', async () => {
    const scope = `s${Math.random()}`
    const a = make(async () => 'from-a', scope)
    const b = make(async () => 'from-b', scope)
    const other = make(async () => 'other-app')
    await a.tokens.run({ reason: 'startup', forceRefresh: false })
    await vi.waitFor(() => expect(b.tokens.token).toBe('from-a'))
    expect(other.tokens.token).toBeNull()
    await b.tokens.set(null, 'logout')
    await vi.waitFor(() => expect(a.tokens.token).toBeNull())
  })
})
