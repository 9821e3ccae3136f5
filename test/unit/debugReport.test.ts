// @vitest-environment node
// Node's Request, unlike happy-dom's, has `destination` ('' for fetch and XMLHttpRequest).
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Router } from 'workbox-routing'
import { pageMessage, parseWorkerMessage, refreshAnswer } from '../../common/protocol.js'
import type { Decision } from '../../common/decision.js'
import type { RouterLike } from '../../sw/apiRoutes.js'
import { debugReport } from '../../sw/debugReport.js'
import type { installTokenInjection as Install } from '../../sw/installTokenInjection.js'

// Workbox's development logger looks for this on the global when imported, before `self` exists here.
vi.hoisted(() => Object.assign(globalThis, { __WB_DISABLE_DEV_LOGS: true }))

afterEach(() => {
  vi.unstubAllGlobals()
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

const T1 = 'opaque-secret-token-one'
const T2 = 'opaque-secret-token-two'

/**
 * A service worker global scope with one tab, https://app.test/ (or `page`), which answers a
 * refresh request with `refreshTo`, and a Workbox router to send requests through as the
 * browser's fetch events would. Everything the worker prints or posts is recorded.
 */
async function worker(options: { apiOrigins: string[]; debug?: boolean; authRoutes?: string[]; page?: string; refreshTo?: string | null }, install?: typeof Install) {
  const page = options.page ?? 'https://app.test'
  const printed: Array<{ level: string; text: string }> = []
  for (const level of ['debug', 'log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push({ level, text: args.map(String).join(' ') }))
  }
  const posted: unknown[] = []
  const tab = {
    id: 'tab',
    type: 'window',
    url: `${page}/`,
    focused: true,
    visibilityState: 'visible',
    frameType: 'top-level',
    postMessage(message: unknown, transfer?: MessagePort[]) {
      posted.push(message)
      const asked = parseWorkerMessage(message)
      const port = transfer?.[0]
      if (asked?.type !== 'refresh-request' || !port) return
      port.postMessage(refreshAnswer('refresh-ack', {}))
      if (options.refreshTo === undefined) port.postMessage(refreshAnswer('refresh-error', { error: { code: 'provider-failed', message: 'no' } }))
      else port.postMessage(refreshAnswer('refresh-result', { token: options.refreshTo }))
    },
  }
  const listeners: Record<string, Array<(event: unknown) => void>> = {}
  const scope = {
    location: new URL(`${page}/sw.js`),
    registration: { scope: `${page}/` },
    navigator: {},
    __WB_DISABLE_DEV_LOGS: true,
    addEventListener: (type: string, listener: (event: unknown) => void) => (listeners[type] ??= []).push(listener),
    skipWaiting: async () => {},
    clients: { get: async (id: string) => (id === tab.id ? tab : undefined), matchAll: async () => [tab], claim: async () => {} },
  }
  vi.stubGlobal('self', scope)
  vi.stubGlobal('location', scope.location)
  vi.stubGlobal('BroadcastChannel', undefined)
  const seen: Array<string | null> = []
  vi.stubGlobal('fetch', async (request: Request) => {
    const authorization = request.headers.get('Authorization')
    seen.push(authorization)
    return new Response(null, { status: new URL(request.url).pathname === '/pay' && authorization !== `Bearer ${T2}` ? 401 : 200 })
  })
  const router = new Router()
  install ??= (await import('../../sw/installTokenInjection.js')).installTokenInjection
  install({ apiOrigins: options.apiOrigins, debug: options.debug ?? false, authRoutes: options.authRoutes ?? null, router: router as unknown as RouterLike })

  /** A page message, as the tab sends it; resolves once the worker has answered. */
  async function say(message: unknown): Promise<void> {
    const pending: Promise<unknown>[] = []
    const { port1, port2 } = new MessageChannel()
    const answered = new Promise((resolve) => (port1.onmessage = resolve))
    for (const listener of listeners.message ?? []) listener({ data: message, source: tab, ports: [port2], waitUntil: (p: Promise<unknown>) => pending.push(p) })
    await Promise.all(pending)
    await answered
    port1.close()
  }

  /** A request from the tab (a navigation has no client yet), through the router or else to the network. */
  async function request(url: string, init: RequestInit & { navigate?: boolean } = {}): Promise<Response> {
    const request = new Request(url, init)
    if (init.navigate) {
      Object.defineProperty(request, 'mode', { value: 'navigate' })
      Object.defineProperty(request, 'destination', { value: 'document' })
    }
    const event = { request, clientId: init.navigate ? '' : tab.id, waitUntil() {}, respondWith() {} }
    const routed = router.handleRequest({ request, event: event as unknown as FetchEvent })
    const response = await (routed ?? fetch(request))
    await new Promise((resolve) => setTimeout(resolve, 0)) // decisions reach the tab through clients.get
    return response
  }

  const decisions = () => posted.map(parseWorkerMessage).filter((m) => m?.type === 'decision').map((m) => (m as { decision: Decision }).decision)
  return { say, request, printed, posted, decisions, seen }
}

/** Nothing the worker printed or posted holds a token, whole or in part. */
function expectNoToken(printed: unknown[], posted: unknown[]): void {
  const everything = JSON.stringify([printed, posted])
  for (const secret of [T1, T2, 'secret-token']) expect(everything).not.toContain(secret)
}

describe("the worker's debug switch", () => {
  it("with debug on reports each decision about a listed origin's requests, and the near misses, to its console and to the requesting tab, never with a token", async () => {
    const API = 'https://api.test'
    const { say, request, printed, posted, decisions, seen } = await worker({ apiOrigins: [API], debug: true, authRoutes: [`${API}/auth/`], refreshTo: T2 })
    await say(pageMessage('logout', {}))
    await request(`${API}/me?session=abc`)
    await say(pageMessage('set-token', { token: T1 }))
    await request(`${API}/me?session=abc`)
    await request(`${API}/avatar`, { mode: 'no-cors' })
    await request(`${API}/me`, { headers: { Authorization: 'Basic b3du' } })
    await request(`${API}/auth/session`)
    await request(`${API}/orders`, { navigate: true })
    expect((await request(`${API}/pay`, { method: 'POST', body: 'amount=1' })).status).toBe(200)
    await request('https://www.api.test/me')
    await request('https://cdn.test/lib.js')
    await request('https://app.test/data.json')

    expect(seen).toEqual([null, `Bearer ${T1}`, null, 'Basic b3du', null, null, `Bearer ${T1}`, `Bearer ${T2}`, null, null, null])
    const told: Decision[] = [
      { kind: 'skipped', method: 'GET', url: `${API}/me`, reason: 'signed-out' },
      { kind: 'injected', method: 'GET', url: `${API}/me` },
      { kind: 'skipped', method: 'GET', url: `${API}/avatar`, reason: 'no-cors' },
      { kind: 'skipped', method: 'GET', url: `${API}/me`, reason: 'own-authorization' },
      { kind: 'skipped', method: 'GET', url: `${API}/auth/session`, reason: 'auth-route' },
      { kind: 'injected', method: 'POST', url: `${API}/pay` },
      { kind: 'refreshing', method: 'POST', url: `${API}/pay` },
      { kind: 'retried', method: 'POST', url: `${API}/pay`, status: 200 },
      { kind: 'skipped', method: 'GET', url: 'https://www.api.test/me', reason: 'near-miss', nearMiss: API },
    ]
    // The navigation has no tab to tell yet: the worker's console alone has it.
    expect(decisions()).toEqual(told)
    const lines = (level: string) => printed.filter((p) => p.level === level).map((p) => p.text)
    expect(lines('debug')).toEqual([
      `sw-bearer: GET ${API}/me: no token, nobody is signed in`,
      `sw-bearer: GET ${API}/me: token added`,
      `sw-bearer: GET ${API}/avatar: no token, it is a no-cors request (the browser would drop Authorization)`,
      `sw-bearer: GET ${API}/me: no token, it carries its own Authorization header`,
      `sw-bearer: GET ${API}/auth/session: no token, it is the auth SDK's own traffic (a token endpoint or an authRoutes entry)`,
      `sw-bearer: GET ${API}/orders: no token, it is a navigation`,
      `sw-bearer: POST ${API}/pay: token added`,
      `sw-bearer: POST ${API}/pay: 401 from the API, refreshing once`,
      `sw-bearer: POST ${API}/pay: retried with the new token, answered 200`,
    ])
    expect(lines('warn')).toEqual([`sw-bearer: GET https://www.api.test/me: no token, its origin is not listed, but ${API} is: is the API called with another spelling of the origin you listed?`])
    expect(printed.filter((p) => p.level !== 'debug' && p.level !== 'warn')).toEqual([])
    // The query may hold secrets too: only origin and path are shown.
    expect(JSON.stringify([printed, posted])).not.toContain('session=abc')
    expectNoToken(printed, posted)
  })

  it('with debug on reports a refresh that failed, with its code, after the 401 that started it', async () => {
    const API = 'https://api.test'
    const { say, request, printed, posted, decisions } = await worker({ apiOrigins: [API], debug: true })
    await say(pageMessage('set-token', { token: T1 }))
    expect((await request(`${API}/pay`, { method: 'POST', body: 'amount=1' })).status).toBe(401)
    expect(decisions()).toEqual([
      { kind: 'injected', method: 'POST', url: `${API}/pay` },
      { kind: 'refreshing', method: 'POST', url: `${API}/pay` },
      { kind: 'refresh-failed', code: 'provider-failed' },
    ])
    expect(printed.map((p) => p.text)).toContain('sw-bearer: refresh failed (provider-failed)')
    expectNoToken(printed, posted)
  })

  it('in a development build without debug warns of a near miss (localhost listed, 127.0.0.1 called) once per origin, naming the listed origin, and of nothing else', async () => {
    const API = 'http://localhost:5502'
    const { say, request, printed, posted, decisions } = await worker({ apiOrigins: [API], page: 'http://localhost:5173' })
    await say(pageMessage('set-token', { token: T1 }))
    await request('http://127.0.0.1:5502/me')
    await request('http://127.0.0.1:5502/me')
    await request('http://127.0.0.1:5502/orders', { method: 'POST', body: '{}' })
    await request(`${API}/me`)
    await request(`${API}/me`, { mode: 'no-cors' })
    await request('https://cdn.test/lib.js')

    expect(printed).toEqual([
      { level: 'warn', text: `sw-bearer: GET http://127.0.0.1:5502/me: no token, its origin is not listed, but ${API} is: is the API called with another spelling of the origin you listed?` },
    ])
    expect(decisions()).toEqual([{ kind: 'skipped', method: 'GET', url: 'http://127.0.0.1:5502/me', reason: 'near-miss', nearMiss: API }])
    expectNoToken(printed, posted)
  })

  it('in a production build without debug prints nothing and tells the tab nothing, a near miss and a refresh included', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    vi.resetModules()
    const { installTokenInjection } = await import('../../sw/installTokenInjection.js')
    const API = 'http://localhost:5502'
    const { say, request, printed, posted, decisions, seen } = await worker({ apiOrigins: [API], page: 'http://localhost:5173', refreshTo: T2 }, installTokenInjection)
    await say(pageMessage('set-token', { token: T1 }))
    await request('http://127.0.0.1:5502/me')
    await request(`${API}/me`, { mode: 'no-cors' })
    expect((await request(`${API}/pay`, { method: 'POST', body: 'amount=1' })).status).toBe(200)
    expect(seen).toEqual([null, null, `Bearer ${T1}`, `Bearer ${T2}`])
    expect(printed).toEqual([])
    expect(decisions()).toEqual([])
    expectNoToken(printed, posted)
  })
})

describe('debugReport', () => {
  it('is nothing at all in a production build without debug, so the fetch path checks one value', () => {
    expect(debugReport(false, false, new Set(['https://api.test']))).toBeUndefined()
    expect(debugReport(false, true, new Set(['https://api.test']))?.step).toBeUndefined()
    expect(debugReport(true, false, new Set(['https://api.test']))?.step).toBeTypeOf('function')
  })
})
