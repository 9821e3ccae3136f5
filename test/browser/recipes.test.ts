import { beforeAll, describe, expect, it } from 'vitest'
import { engines, type Context, type Tab } from './harness/engines/index.js'
import { sleep } from './harness/page.js'
import { until, useEngine, useRecipes, type AppName } from './harness/recipeLab.js'

/**
 * The README's recipes, each a small app in test/recipes/ built with Vite from the packed package
 * as a user's project would be, then loaded from a static host (or `vite`'s dev server) in each engine.
 */
const recipes = useRecipes()

beforeAll(() => {
  const rows = [...recipes.built].map(([name, { copies }]) => `  ${name.padEnd(20)} workbox-core ${copies.core}, workbox-routing ${copies.routing}  (${Object.entries(copies.markers).map(([m, n]) => `${m} ×${n}`).join(', ')})`)
  console.log(`sw-bearer packed, ${recipes.built.size} apps type-checked and built in ${(recipes.setupMs / 1000).toFixed(1)} s. Workbox copies in each built worker:\n${rows.join('\n')}`)
})

describe.each(engines)('%s', (engine) => {
  const browser = useEngine(engine)

  /** A tab on `origin` once its app says its session is registered. */
  async function open(origin: string, context?: Context): Promise<Tab> {
    const page = await (context ?? (await browser.context())).newPage()
    await page.goto(`${origin}/`)
    await signedIn(page)
    return page
  }

  const signedIn = (page: Tab) => until(page, () => document.querySelector('#status')?.textContent === 'signed in')
  const text = (page: Tab, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector)
  const loads = (page: Tab) => page.evaluate(() => Number(sessionStorage.getItem('loads')))

  /** What the API saw on a plain fetch from the page: the Authorization header, and the page's status. */
  async function apiCall(page: Tab, id: string): Promise<{ status: number; authorization: string | null; body: any }> {
    const { status, body } = await page.evaluate(
      (url) => fetch(url).then(async (r) => ({ status: r.status, body: await r.json() }), (e) => ({ status: 0, body: String(e) })),
      `${recipes.apiOrigin}/echo?id=${id}`,
    )
    return { status, body, authorization: recipes.api.sends(id)[0]?.authorization ?? null }
  }

  const bearer = () => `Bearer ${recipes.issuer.issued.at(-1)}`
  const oneWorkbox = (name: AppName) => expect(recipes.built.get(name)!.copies, name).toMatchObject({ core: 1, routing: 1 })

  describe('(a) plain Vite', () => {
    it('dev server: the page registers /sw.ts as a module, as `vite` serves it, and API calls carry the token', async () => {
      const page = await open(recipes.dev.origin)
      expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${recipes.dev.origin}/sw.ts`)
      const { status, authorization } = await apiCall(page, 'dev')
      expect({ status, authorization }).toEqual({ status: 200, authorization: bearer() })
    })

    it('production build: sw.js, a second build input written as a module, and API calls carry the token; one Workbox', async () => {
      oneWorkbox('vite')
      const page = await open(recipes.site('vite').origin)
      expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${recipes.site('vite').origin}/sw.js`)
      const { status, authorization } = await apiCall(page, 'build')
      expect({ status, authorization }).toEqual({ status: 200, authorization: bearer() })
    })
  })

  /**
   * The app's static host goes away and the page reloads: the page, its scripts and the worker's
   * session come from the worker (the precache, IndexedDB), and API calls still carry the token.
   */
  async function offlineReload(page: Tab, app: AppName, id: string): Promise<void> {
    const site = recipes.site(app)
    await site.stop()
    await page.reload()
    await signedIn(page)
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true)
    expect(await apiCall(page, id)).toMatchObject({ status: 200, authorization: bearer() })
    await site.start()
  }

  /** Puts `v2` on the app's host and has the browser check for a new worker, as it does on a navigation. */
  async function deploy(page: Tab, app: AppName, v2: AppName): Promise<void> {
    recipes.site(app).root = recipes.built.get(v2)!.dist
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r!.update()))
  }

  describe('(b) vite-plugin-pwa injectManifest: precacheAndRoute and installTokenInjection in one sw.ts', () => {
    it("autoUpdate: API calls carry the token, an offline reload comes from the precache, and a deployed v2 takes over with one reload; one Workbox", async () => {
      oneWorkbox('pwa-auto-update')
      const page = await open(recipes.site('pwa-auto-update').origin)
      expect(await apiCall(page, 'auto')).toMatchObject({ status: 200, authorization: bearer() })
      await offlineReload(page, 'pwa-auto-update', 'auto-offline')
      await deploy(page, 'pwa-auto-update', 'pwa-auto-update-v2')
      await until(page, () => document.querySelector('#version')?.textContent === 'v2')
      await signedIn(page)
      // No reload loop: the first load, the offline reload, and the one reload onto v2.
      await sleep(3000)
      expect(await loads(page)).toBe(3)
      expect(await apiCall(page, 'auto-v2')).toMatchObject({ status: 200, authorization: bearer() })
    })

    it('prompt: API calls carry the token, an offline reload comes from the precache; a deployed v2 waits and onNeedRefresh shows the prompt; accepting it moves to v2, signed in, with the token; one Workbox', async () => {
      oneWorkbox('pwa-prompt')
      const page = await open(recipes.site('pwa-prompt').origin)
      expect(await text(page, '#prompt')).not.toBeNull()
      expect(await page.evaluate(() => document.querySelector<HTMLElement>('#prompt')!.hidden)).toBe(true)
      expect(await apiCall(page, 'prompt')).toMatchObject({ status: 200, authorization: bearer() })
      await offlineReload(page, 'pwa-prompt', 'prompt-offline')
      await deploy(page, 'pwa-prompt', 'pwa-prompt-v2')
      await until(page, () => document.querySelector<HTMLElement>('#prompt')?.hidden === false)
      // v2 waits for the user; v1 still serves this page, and its API calls.
      expect(await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => !!r?.waiting))).toBe(true)
      expect(await text(page, '#version')).toBe('v1')
      expect(await apiCall(page, 'prompt-waiting')).toMatchObject({ status: 200, authorization: bearer() })
      await page.evaluate(() => document.querySelector<HTMLElement>('#reload')!.click())
      await until(page, () => document.querySelector('#version')?.textContent === 'v2')
      await sleep(3000)
      expect(await loads(page)).toBe(3)
      expect(await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => !!r?.waiting))).toBe(false)
      // The page reloads on 'controlling', while v2 activates: WebKit leaves that page's view of the
      // worker at 'activating' with no statechange to follow, and the session must not wait for one.
      await until(page, () => document.querySelector('#status')?.textContent === 'signed in')
      expect(await apiCall(page, 'prompt-v2')).toMatchObject({ status: 200, authorization: bearer() })
    })
  })

  describe("(c) vite-plugin-pwa generateSW, importScripts of sw-bearer's classic build and a setup script", () => {
    it("API calls carry the token, and an offline reload comes from the precache; Workbox twice (the generated runtime's, and the one sw-bearer's classic build inlines)", async () => {
      // A classic build cannot import the app's Workbox: it carries its own workbox-core and
      // workbox-routing, and so its own default router, beside the generated worker's.
      expect(recipes.built.get('pwa-generate-sw')!.copies).toMatchObject({ core: 2, routing: 2 })
      const page = await open(recipes.site('pwa-generate-sw').origin)
      expect(await apiCall(page, 'generate')).toMatchObject({ status: 200, authorization: bearer() })
      await offlineReload(page, 'pwa-generate-sw', 'generate-offline')
    })
  })

  describe('(d) an app Workbox route for the API origin (NetworkFirst, cache "api"), with sw-bearer', () => {
    /** The 'api' cache's copy of `url`, as the page's Cache Storage holds it. */
    const cached = (page: Tab, url: string) =>
      page.evaluate((u) => caches.open('api').then((c) => c.match(u)).then((r) => (r ? r.json() : null)), url)

    it.each([
      ['registered before installTokenInjection', 'route-before'],
      ['registered after installTokenInjection', 'route-after'],
    ] as const)('%s: the API gets the token, the route ran (its cache answers with the API down), a 401 through it refreshes once and retries; one Workbox', async (_, app) => {
      oneWorkbox(app)
      const page = await open(recipes.site(app).origin)
      const url = `${recipes.apiOrigin}/echo?id=${app}`
      const first = await apiCall(page, app)
      expect(first).toMatchObject({ status: 200, authorization: bearer() })
      // NetworkFirst puts the answer in its cache (after handing it to the page): the echo of the request, token included.
      await expect.poll(() => cached(page, url)).toMatchObject({ authorization: bearer() })
      // And serves it from there when the network fails.
      recipes.api.down = true
      const offline = await page.evaluate((u) => fetch(u).then(async (r) => ({ status: r.status, body: await r.json() })), url)
      expect(offline).toEqual({ status: 200, body: first.body })
      expect(recipes.api.sends(app)).toHaveLength(1)
      // A 401 through the route: one refresh, one retry with the new token.
      recipes.api.down = false
      recipes.issuer.revokeAll()
      const calls = recipes.issuer.calls
      const status = await page.evaluate((u) => fetch(u).then((r) => r.status), `${recipes.apiOrigin}/auth?id=${app}-401`)
      expect(status).toBe(200)
      expect(recipes.issuer.calls).toBe(calls + 1)
      expect(recipes.api.sends(`${app}-401`).map((hit) => hit.authorization)).toEqual([`Bearer ${recipes.issuer.issued.at(-2)}`, bearer()])
    })
  })
})
