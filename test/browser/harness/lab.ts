import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startApi, type ApiServer } from './apiServer.js'
import { BUILD_DIR } from './bundle.js'
import { launchEngine, type Context, type Engine, type EngineName, type TabOf } from './engines/index.js'
import { serve, type Served } from './httpServer.js'
import { Issuer } from './issuer.js'
import { call } from './page.js'
import { APP_JS, PAGE_HTML, TOKEN_WORKER_JS } from './pageApp.js'
import { INSTANCE_SOURCE, WITNESS_SOURCE, workerInstance } from './witness.js'

export interface SwOptions {
  /** Plain origins get the default token; `{ origin, resource }` that resource's (issue 15). */
  apiOrigins: Array<string | { origin: string; resource: string }>
  refreshTimeoutMs?: number
  refreshLeewaySeconds?: number
  routeOthersToNetwork?: boolean
  authRoutes?: string[]
  /** The worker's debug switch: its decisions come to the page as `decision` events. */
  debug?: boolean
}

/**
 * One browser, a page origin (localhost), an API origin and an unlisted origin
 * (127.0.0.1, other ports), and an issuer behind the page's getAccessToken.
 * Each test takes fresh browser contexts, so registrations and storage never leak.
 */
export class Lab<C extends Context = Context> {
  swOptions: SwOptions
  /** Changes the worker script's bytes, so the browser sees a new version. */
  swVersion = 1
  /** Adds a listener that notes which requests reach the fetch event (see witness.ts). */
  swWitness = false
  /** The SDK's token requests on the page origin, as the page server saw them. */
  pageTokenRequests: Array<{ authorization: string | undefined }> = []
  #contexts: C[] = []

  private constructor(
    readonly issuer: Issuer,
    readonly engine: Engine<C>,
    readonly pageServer: Served,
    readonly api: ApiServer,
    readonly other: ApiServer,
  ) {
    this.swOptions = this.defaultSwOptions()
  }

  defaultSwOptions(): SwOptions {
    return { apiOrigins: [this.apiOrigin], refreshTimeoutMs: 5000 }
  }

  get pageOrigin(): string {
    return `http://localhost:${this.pageServer.port}`
  }
  get apiOrigin(): string {
    return `http://127.0.0.1:${this.api.port}`
  }
  get otherOrigin(): string {
    return `http://127.0.0.1:${this.other.port}`
  }

  static async start(options: { bfcache?: boolean; engine: EngineName }): Promise<Lab> {
    const issuer = new Issuer()
    const accepts = (token: string) => issuer.valid.has(token)
    const [engine, api, other] = await Promise.all([launchEngine(options.engine, options), startApi(accepts), startApi(accepts)])
    const built = new Map<string, Buffer>()
    for (const name of await readdir(BUILD_DIR)) built.set(`/${name}`, await readFile(join(BUILD_DIR, name)))
    let lab: Lab<any> | undefined
    const pageServer = await serve(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const js = { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }
      if (path === '/') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE_HTML)
      if (path === '/app.js') return void res.writeHead(200, js).end(APP_JS)
      if (path === '/token-worker.js') return void res.writeHead(200, js).end(TOKEN_WORKER_JS)
      if (built.has(path)) return void res.writeHead(200, js).end(built.get(path))
      // Another app's worker on the same origin, under its own scope, for the API named in its URL.
      if (/^\/[a-z]+\/sw\.js$/.test(path)) {
        const api = new URL(req.url ?? '/', 'http://x').searchParams.get('api')
        const options = { ...lab!.swOptions, apiOrigins: [api] }
        return void res.writeHead(200, js).end(`import { installTokenInjection } from '/sw-lib.js'\n${INSTANCE_SOURCE}\ninstallTokenInjection(${JSON.stringify(options)})\n`)
      }
      // The app's page under a policy that forbids every worker; scripts are not restricted.
      if (path === '/csp/') return void res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': "worker-src 'none'" }).end(PAGE_HTML)
      if (/^\/[a-z]+\/$/.test(path)) return void res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE_HTML)
      // Workers that cannot serve the page (issue 14's failure modes), each with the lab's options.
      // A proxy that answers 404 for the script (any other unknown path gets 200 'asset').
      if (path === '/missing-sw.js') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
      // A script that throws while it evaluates.
      if (path === '/throwing-sw.js') return void res.writeHead(200, js).end(`throw new Error('lab: this worker fails to evaluate')\n`)
      // A worker that installs and answers, but whose clients.claim() does nothing: it never controls the page.
      if (path === '/unclaiming-sw.js') {
        const source = `import { installTokenInjection } from '/sw-lib.js'\nself.clients.claim = () => Promise.resolve()\ninstallTokenInjection(${JSON.stringify(lab!.swOptions)})\n`
        return void res.writeHead(200, js).end(source)
      }
      // A worker whose install takes ?ms (default 3000) before it activates and claims the page.
      if (path === '/slow-sw.js') {
        const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 3000)
        const source = `import { installTokenInjection } from '/sw-lib.js'\nself.addEventListener('install', (event) => event.waitUntil(new Promise((resolve) => setTimeout(resolve, ${ms}))))\ninstallTokenInjection(${JSON.stringify(lab!.swOptions)})\n`
        return void res.writeHead(200, js).end(source)
      }
      // A worker of the app's own that never calls installTokenInjection; with ?claim it takes the page.
      if (path === '/plain-sw.js') {
        const claim = new URL(req.url ?? '/', 'http://x').searchParams.has('claim')
        return void res.writeHead(200, js).end(claim ? `self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()))\n` : '// nothing\n')
      }
      if (path === '/sw.js') {
        const source = `import { installTokenInjection } from '/sw-lib.js'\n// version ${lab!.swVersion}\n${INSTANCE_SOURCE}${lab!.swWitness ? WITNESS_SOURCE : ''}\ninstallTokenInjection(${JSON.stringify(lab!.swOptions)})\n`
        return void res.writeHead(200, js).end(source)
      }
      if (path === '/token') {
        lab!.pageTokenRequests.push({ authorization: req.headers.authorization })
        const force = new URL(req.url ?? '/', 'http://x').searchParams.get('force') !== '0'
        const { status, body } = await lab!.issuer.answer(force)
        return void res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body))
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('asset')
    })
    lab = new Lab<any>(issuer, engine, pageServer, api, other)
    return lab
  }

  /** Back to a clean slate between tests. */
  async reset(): Promise<void> {
    await Promise.all(this.#contexts.splice(0).map((c) => c.close().catch(() => {})))
    this.issuer.reset()
    this.api.hits.length = 0
    this.other.hits.length = 0
    this.api.down = false
    this.api.issue = undefined
    this.pageTokenRequests.length = 0
    this.swOptions = this.defaultSwOptions()
    this.swVersion = 1
    this.swWitness = false
  }

  async context(): Promise<C> {
    const context = await this.engine.newContext()
    this.#contexts.push(context)
    return context
  }

  /** A tab on the page origin, its app loaded but not registered. */
  async tab(context: C): Promise<TabOf<C>> {
    const page = await context.newPage()
    await page.goto(`${this.pageOrigin}/`)
    await page.waitForFunction(() => 'register' in window)
    return page as TabOf<C>
  }

  /** A tab whose session is registered: the next fetch carries the token. */
  async signedInTab(context: C): Promise<TabOf<C>> {
    const page = await this.tab(context)
    await page.evaluate(() => (window as any).register())
    return page
  }

  /** Several signed-in tabs sharing one browser context, hence one worker. */
  async signedInTabs(count: number): Promise<Array<TabOf<C>>> {
    const context = await this.context()
    const tabs: Array<TabOf<C>> = []
    for (let i = 0; i < count; i++) tabs.push(await this.signedInTab(context))
    return tabs
  }

  /** The Authorization header the API saw on a fresh request from `page`, or null. */
  async authorizationSeen(page: TabOf<C>, id: string): Promise<string | null> {
    await call(page, `${this.apiOrigin}/echo?id=${id}`)
    return this.api.sends(id)[0]?.authorization ?? null
  }

  /** What the browser does to idle workers, on demand: module state is gone, IndexedDB stays. */
  stopWorkers(page: TabOf<C>): Promise<void> {
    return this.engine.stopWorkers(page)
  }

  /**
   * A restart every engine can do: `page`, the only tab of its origin, leaves; the worker is stopped
   * (on demand, or in WebKit by waiting out its ~10 s idle stop); the page comes back reloaded and
   * not registered, so what it sends is the new worker's alone, from IndexedDB.
   */
  async restartWorkerAway(page: TabOf<C>, back = `${this.pageOrigin}/`): Promise<void> {
    const before = await workerInstance(page)
    await page.goto('about:blank')
    if (this.engine.can.stopWorkersInPlace) await this.engine.stopWorkers(page)
    else await new Promise((resolve) => setTimeout(resolve, 12_000))
    await page.goto(back)
    // A test that relies on a restart must not pass because the worker merely sat idle.
    const after = await workerInstance(page)
    if (before === null || after === null || after === before) throw new Error(`restartWorkerAway: the worker did not restart (${before} → ${after})`)
    await page.waitForFunction(() => 'register' in window)
  }

  async close(): Promise<void> {
    await this.reset()
    this.issuer.releaseHanging()
    await this.engine.close()
    await Promise.all([this.pageServer.close(), this.api.close(), this.other.close()])
  }
}
