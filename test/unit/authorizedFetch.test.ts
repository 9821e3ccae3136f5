import { afterEach, expect, it, vi } from 'vitest'
import { authorizedFetch } from '../../sw/authorizedFetch.js'

afterEach(() => vi.unstubAllGlobals())

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms))

it('a retry still queued behind a storm when the session ends is not sent at all: the page gets its 401', async () => {
  const state: any = { loaded: true, known: true, token: 'T1', header: 'Bearer T1', logouts: 0, generation: 0, load: async () => {} }
  const refresher: any = {
    inFlight: undefined,
    run: async () => ((state.token = 'T2'), (state.header = 'Bearer T2'), 'refreshed'),
    accepted() {},
    rejected() {},
  }
  vi.stubGlobal('self', { clients: { get: async () => undefined } })
  const handle = authorizedFetch({ origins: new Set(['https://api.test']), state, refresher, expiry: { due: () => false, check: async () => {} } as any }).send
  const sends: Array<{ path: string; authorization: string | null }> = []
  let refuse!: () => void
  const refused = new Promise<void>((resolve) => (refuse = resolve))
  const held: Array<() => void> = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const path = new URL(request.url).pathname
    sends.push({ path, authorization: request.headers.get('Authorization') })
    if (path === '/pay' && sends.filter((s) => s.path === '/pay').length === 1) {
      await refused
      return new Response('refused', { status: 401 })
    }
    await new Promise<void>((resolve) => held.push(resolve))
    return new Response('ok')
  })
  const pay = handle(new Request('https://api.test/pay', { method: 'POST', body: 'amount=100' }), 'tab')
  await tick()
  // Every other slot taken and one more waiting for the first free one: the retry with T2 will queue.
  const storm = Array.from({ length: 256 }, (_, i) => handle(new Request(`https://api.test/storm${i}`), 'tab'))
  await tick()
  refuse()
  await tick(10)
  // Another tab logs out while the retry waits for a slot.
  Object.assign(state, { token: null, header: null, logouts: 1, generation: 1 })
  held.splice(0).forEach((release) => release())
  const response = await pay
  expect(response.status).toBe(401)
  expect(await response.text()).toBe('refused')
  expect(sends.filter((s) => s.path === '/pay')).toEqual([{ path: '/pay', authorization: 'Bearer T1' }])
  held.splice(0).forEach((release) => release())
  await Promise.all(storm)
})
