import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import type { ViteDevServer } from 'vite'
import { startApi, type ApiServer } from './apiServer.js'
import { launchEngine, type Context, type Engine, type EngineName, type Tab } from './engines/index.js'
import { Issuer } from './issuer.js'
import { buildApp, devServer, packedWorkspace, prepareApp, StaticSite, typecheckApp, workboxCopies, workerFiles, type AppSource, type WorkboxCopies, type Workspace } from './recipes.js'

/** Every app the recipe tests load, built once per run: name → where it comes from. */
export const APPS = {
  vite: { recipe: 'vite' },
  'pwa-auto-update': { recipe: 'pwa-auto-update' },
  'pwa-auto-update-v2': { recipe: 'pwa-auto-update', html: ['v1', 'v2'] },
  'pwa-prompt': { recipe: 'pwa-prompt' },
  'pwa-prompt-v2': { recipe: 'pwa-prompt', html: ['v1', 'v2'] },
  'pwa-generate-sw': { recipe: 'pwa-generate-sw' },
  'route-before': { recipe: 'vite', overlay: { 'sw.ts': 'workbox-route/sw.route-first.ts' } },
  'route-after': { recipe: 'vite', overlay: { 'sw.ts': 'workbox-route/sw.route-last.ts' } },
} satisfies Record<string, AppSource>

export type AppName = keyof typeof APPS

export interface BuiltApp {
  dist: string
  /** Workbox copies in its built worker (sw.js and what it loads). */
  copies: WorkboxCopies
}

/**
 * What every engine's recipe tests share, set up once per file: the packed sw-bearer, each app built
 * from it, a static host per app (a v2 is deployed by pointing the v1 host at it), the `vite` dev
 * server, and the API and the issuer (behind the apps' stand-in SDK) on loopback origins of their own.
 */
export class Recipes {
  readonly issuer = new Issuer()
  readonly built = new Map<AppName, BuiltApp>()
  readonly sites = new Map<AppName, StaticSite>()
  dev!: { server: ViteDevServer; origin: string }
  api!: ApiServer
  /** The issuer's token route, as the apps' getAccessToken calls it: another origin, not listed. */
  auth!: ApiServer
  #workspace!: Workspace

  get apiOrigin(): string {
    return `http://127.0.0.1:${this.api.port}`
  }

  /** How long packing, type-checking and building every app took. */
  setupMs = 0

  async start(): Promise<void> {
    const started = performance.now()
    const [api, auth, workspace] = await Promise.all([
      startApi((token) => this.issuer.valid.has(token)),
      startApi(() => false),
      packedWorkspace(),
    ])
    Object.assign(this, { api, auth })
    this.#workspace = workspace
    auth.issue = (force) => this.issuer.answer(force)
    const origins = { api: this.apiOrigin, auth: `http://127.0.0.1:${auth.port}` }
    for (const [name, source] of Object.entries(APPS) as Array<[AppName, AppSource]>) {
      const dir = await prepareApp(workspace, name, source, origins)
      typecheckApp(dir)
      const dist = await buildApp(dir)
      this.built.set(name, { dist, copies: await workboxCopies(await workerFiles(dist)) })
    }
    this.setupMs = performance.now() - started
    // A v2 is no site of its own: it is deployed over its v1.
    for (const name of [...this.built.keys()].filter((name) => !name.endsWith('-v2'))) {
      const site = new StaticSite(this.built.get(name)!.dist)
      await site.start()
      this.sites.set(name, site)
    }
    const { server, port } = await devServer(await prepareApp(workspace, 'vite-dev', APPS.vite, origins))
    this.dev = { server, origin: `http://localhost:${port}` }
  }

  site(name: AppName): StaticSite {
    return this.sites.get(name)!
  }

  /** Back to a clean slate between tests: every host up and serving v1. */
  async reset(): Promise<void> {
    this.issuer.reset()
    this.api.hits.length = 0
    this.auth.hits.length = 0
    this.api.down = false
    for (const [name, site] of this.sites) {
      site.root = this.built.get(name)!.dist
      site.served.length = 0
      await site.start()
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.sites.values()].map((site) => site.stop()))
    await this.dev?.server.close()
    await Promise.all([this.api?.close(), this.auth?.close()])
    await this.#workspace?.remove()
  }
}

/** One Recipes per test file, at its top level (outside the engines' describes): built once for every engine. */
export function useRecipes(): Recipes {
  const recipes = new Recipes()
  beforeAll(() => recipes.start(), 180_000)
  afterAll(() => recipes.close())
  beforeEach(() => recipes.reset())
  return recipes
}

/** One browser per engine's describe; each test's contexts are closed after it. */
export function useEngine(name: EngineName): { context(): Promise<Context> } {
  let engine: Engine | undefined
  const contexts: Context[] = []
  beforeAll(async () => {
    engine = await launchEngine(name)
  })
  afterAll(() => engine?.close())
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => {})))
  })
  return {
    async context() {
      const context = await engine!.newContext()
      contexts.push(context)
      return context
    },
  }
}

/**
 * Waits until `fn` is truthy in the page, through the page's own reloads (an evaluate that meets a
 * navigation throws; it is tried again).
 */
export async function until<A>(page: Tab, fn: (arg: A) => unknown, arg?: A, timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout
  let last: unknown
  for (;;) {
    try {
      if (await page.evaluate(fn as (arg: unknown) => unknown, arg)) return
    } catch (error) {
      last = error
    }
    if (Date.now() > end) throw new Error(`until: still falsy after ${timeout} ms${last ? ` (last error: ${String(last)})` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
