import { expect, it, vi } from 'vitest'
import { Route, Router } from 'workbox-routing'
import { addApiRoutes, type RouterLike } from '../../sw/apiRoutes.js'
import type { TokenPlugin } from '../../sw/tokenPlugin.js'

const API = 'https://api.test'
const plugin = { requestWillFetch: async ({ request }) => request, fetchDidSucceed: async ({ response }) => response } as TokenPlugin

function setup(appRoutes: (router: Router) => void, order: 'app first' | 'sw-bearer first') {
  const router = new Router()
  const handle = vi.fn(async () => new Response('sw-bearer'))
  const install = () => addApiRoutes(router as unknown as RouterLike, ['GET', 'POST'], ({ url, request }) => url.origin === API && request.mode !== 'navigate', handle, plugin)
  if (order === 'app first') (appRoutes(router), install())
  else (install(), appRoutes(router))
  const route = (url: string, method = 'GET') => {
    const request = new Request(url, { method })
    return router.findMatchingRoute({ url: new URL(url), request, event: {} as ExtendableEvent, sameOrigin: false }).route
  }
  return { route, handle }
}

/** An app's strategy, as Workbox's Strategy holds them: a handle method and a plugins array. */
const strategy = (name: string) => ({ name, plugins: [] as unknown[], handle: async () => new Response(name) })

for (const order of ['app first', 'sw-bearer first'] as const) {
  it(`leaves an API request to the app's own strategy route and gives that strategy the token plugin (${order})`, () => {
    const apiCache = strategy('api-cache')
    const { route } = setup((router) => router.registerRoute(new Route(({ url }) => url.pathname.startsWith('/cached/'), apiCache)), order)
    expect(route(`${API}/cached/list`)?.handler).toBe(apiCache)
    expect(apiCache.plugins).toEqual([plugin])
    // Once only, however many requests it serves.
    route(`${API}/cached/other`)
    expect(apiCache.plugins).toHaveLength(1)
  })

  it(`takes every other API request, and no request of another origin (${order})`, () => {
    const assets = strategy('assets')
    const { route } = setup((router) => router.registerRoute(new Route(({ url }) => url.origin === 'https://app.test', assets)), order)
    expect(route(`${API}/me`)?.handler).not.toBe(assets)
    expect(route(`${API}/me`, 'POST')?.handler).not.toBe(assets)
    expect(route('https://app.test/logo.png')?.handler).toBe(assets)
    expect(assets.plugins).toEqual([])
  })

  it(`keeps an API request that an app route with a plain function handler also matches: that handler could not add the token (${order})`, () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const fn = async () => new Response('bare')
    const { route } = setup((router) => router.registerRoute(new Route(({ url }) => url.origin === API, fn)), order)
    expect(route(`${API}/me`)?.handler.handle).not.toBe(fn)
    expect(warn).toHaveBeenCalledOnce()
    warn.mockRestore()
  })
}

it("gives the page a network error, not the app's catch handler's offline page, when an API request fails on the network", async () => {
  const router = new Router()
  router.setCatchHandler(async () => new Response('<p>offline</p>', { headers: { 'Content-Type': 'text/html' } }))
  addApiRoutes(router as unknown as RouterLike, ['GET'], ({ url }) => url.origin === API, async () => Promise.reject(new TypeError('Failed to fetch')), plugin)
  const request = new Request(`${API}/me`)
  const response = await router.handleRequest({ request, event: { request } as unknown as FetchEvent })
  expect(response?.type).toBe('error')
})
