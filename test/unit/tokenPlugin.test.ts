import { afterEach, expect, it, vi } from 'vitest'
import { authorizedFetch } from '../../sw/authorizedFetch.js'
import { tokenPlugin } from '../../sw/tokenPlugin.js'

afterEach(() => vi.unstubAllGlobals())

const API = 'https://api.test'

function setup() {
  const state: any = { loaded: true, known: true, token: 'T1', header: 'Bearer T1', logouts: 0, generation: 0, load: async () => {} }
  const refresher: any = {
    inFlight: undefined,
    runs: 0,
    run: async () => (refresher.runs++, (state.token = 'T2'), (state.header = 'Bearer T2'), 'refreshed'),
    accepted: vi.fn(),
    rejected() {},
  }
  vi.stubGlobal('self', { clients: { get: async () => undefined } })
  const send = authorizedFetch({ origins: new Set([API]), state, refresher, expiry: { due: () => false, check: async () => {} } as any })
  const plugin = tokenPlugin(() => send, (request) => new URL(request.url).origin === API && !request.headers.has('authorization'))
  return { state, refresher, plugin }
}

/** What a Workbox strategy does around its fetch (StrategyHandler.fetch): the plugin's two callbacks and one state object. */
async function strategyFetch(plugin: ReturnType<typeof tokenPlugin>, request: Request): Promise<Response> {
  const event = { clientId: 'tab' } as unknown as ExtendableEvent
  const state = {}
  const filtered = await plugin.requestWillFetch({ request: request.clone(), event, state })
  const response = await fetch(filtered.clone())
  return plugin.fetchDidSucceed({ request: filtered, response, event, state })
}

it('puts the token on a strategy request for a listed origin, and on nothing else', async () => {
  const { plugin } = setup()
  const seen: Array<string | null> = []
  vi.stubGlobal('fetch', async (request: Request) => (seen.push(request.headers.get('Authorization')), new Response('ok')))
  await strategyFetch(plugin, new Request(`${API}/me`))
  await strategyFetch(plugin, new Request('https://elsewhere.test/me'))
  await strategyFetch(plugin, new Request(`${API}/me`, { headers: { Authorization: 'Basic own' } }))
  expect(seen).toEqual(['Bearer T1', null, 'Basic own'])
})

it('on a 401 refreshes once and retries once with the new token and the same body', async () => {
  const { plugin, refresher } = setup()
  const sends: Array<{ authorization: string | null; body: string }> = []
  vi.stubGlobal('fetch', async (request: Request) => {
    sends.push({ authorization: request.headers.get('Authorization'), body: await request.text() })
    return new Response(null, { status: request.headers.get('Authorization') === 'Bearer T2' ? 200 : 401 })
  })
  const response = await strategyFetch(plugin, new Request(`${API}/pay`, { method: 'POST', body: 'amount=100' }))
  expect(response.status).toBe(200)
  expect(sends).toEqual([
    { authorization: 'Bearer T1', body: 'amount=100' },
    { authorization: 'Bearer T2', body: 'amount=100' },
  ])
  expect(refresher.runs).toBe(1)
})

it('gives the strategy the second 401 as it came: never more than one retry', async () => {
  const { plugin, refresher } = setup()
  let sends = 0
  vi.stubGlobal('fetch', async () => (sends++, new Response(null, { status: 401 })))
  expect((await strategyFetch(plugin, new Request(`${API}/me`))).status).toBe(401)
  expect([sends, refresher.runs]).toEqual([2, 1])
})

it('leaves a 401 alone for a request it did not put a token on', async () => {
  const { plugin, refresher } = setup()
  vi.stubGlobal('fetch', async () => new Response(null, { status: 401 }))
  expect((await strategyFetch(plugin, new Request('https://elsewhere.test/me'))).status).toBe(401)
  expect(refresher.runs).toBe(0)
})

it("tells the worker's debug report what it did with a strategy's request: token added, 401, the retry's status", async () => {
  const { state, refresher } = setup()
  const report = vi.fn()
  const send = authorizedFetch({ origins: new Set([API]), state, refresher, expiry: { due: () => false, check: async () => {} } as any, report })
  const plugin = tokenPlugin(() => send, (request) => new URL(request.url).origin === API)
  vi.stubGlobal('fetch', async (request: Request) => new Response(null, { status: request.headers.get('Authorization') === 'Bearer T2' ? 200 : 401 }))
  await strategyFetch(plugin, new Request(`${API}/pay`, { method: 'POST', body: 'amount=100' }))
  expect(report.mock.calls.map(([request, clientId, step]) => [request.method, request.url, clientId, step])).toEqual([
    ['POST', `${API}/pay`, 'tab', { kind: 'injected' }],
    ['POST', `${API}/pay`, 'tab', { kind: 'refreshing' }],
    ['POST', `${API}/pay`, 'tab', { kind: 'retried', status: 200 }],
  ])
})
