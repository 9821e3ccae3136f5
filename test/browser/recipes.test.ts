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
  console.log(`Workbox copies in each recipe's built worker:\n${rows.join('\n')}`)
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

  describe('(d) an app Workbox route for the API origin (NetworkFirst, cache "api"), with sw-bearer', () => {
    /** The 'api' cache's copy of `url`, as the page's Cache Storage holds it. */
    const cached = (page: Tab, url: string) =>
      page.evaluate((u) => caches.open('api').then((c) => c.match(u)).then((r) => (r ? r.json() : null)), url)

    it.each([
      ['registered before installTokenInjection', 'route-before'],
      ['registered after installTokenInjection', 'route-after'],
    ] as const)('%s: the API gets the token, and the route ran (its cache answers with the API down); one Workbox', async (_, app) => {
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
    })
  })
})
