import { CLIENT_ID, startOpenIdProvider, type OpenIdProvider } from '../../../../tools/openidProvider.js'
import type { Context, Engine, Tab } from '../engines/index.js'
import type { Served } from '../httpServer.js'
import { workerInstance } from '../witness.js'
import type { BuiltPages } from './buildPages.js'
import { navigateFromPage, waitInTab } from './navigation.js'
import type { PageConfig } from './pages/app.js'
import { servePages, type Sdk } from './pageServer.js'
import { startVerifyingApi, type ApiCounters, type VerifyingApi } from './verifyingApi.js'

export const AUDIENCE = 'https://api.example.test'
/** The second API's resource indicator (issue 15): its tokens are for it alone. */
export const RESOURCE_B = 'https://billing.example.test'

export interface LabOptions {
  /** The app's worker script 404s, so its session runs in the page (issue 14's fallback). */
  inPage?: boolean
  /** A second verifying API for RESOURCE_B on its own origin, listed as `{ origin, resource }` by the worker. */
  resources?: boolean
  /**
   * DPoP (RFC 9449, issue 16): the provider requires a proof at its token endpoint (bound access and
   * refresh tokens, server nonces), each API verifies proofs and asks for its own nonce, and the oidc
   * page turns on oidc-client-ts's DPoP (`dpop: { store: new IndexedDbDPoPStore() }`). Off by default.
   * The oidc page only: the other pages do not turn their SDK's DPoP on, so their sign-in would fail.
   * `'migrating'`: an app turning DPoP on. The provider and the APIs take Bearer and DPoP alike, and
   * the page's DPoP starts off until `pageDpop` is set (the next load of the page has it).
   */
  dpop?: boolean | 'migrating'
}

/** A position in each log, for `since`. */
export interface Mark {
  op: number
  api: number
  apiB: number
}

/** What reached the provider's token endpoint and the API since a mark. */
export interface Edges {
  tokenCalls: number
  refreshOk: number
  invalidGrant: number
  grantRevoked: number
  api200: number
  api401: number
  api401WithoutToken: number
  /** Successful refresh_token grants by the resource asked for (none asked: AUDIENCE). */
  refreshesFor: Record<string, number>
  /** The second API's answers, when the lab has one. */
  apiB: ApiCounters | null
}

/**
 * One SDK's world for one test: a real OpenID Provider, an API that verifies its tokens,
 * and the SPA origin, all on fresh loopback ports, plus a browser context (its own service
 * worker and storage). Counted at the edges only: nothing in the SDK or sw-bearer is read.
 */
export class RealLab {
  private constructor(
    readonly sdk: Sdk,
    readonly op: OpenIdProvider,
    readonly api: VerifyingApi,
    readonly apiB: VerifyingApi | null,
    readonly site: Served & { origin: string },
    readonly engine: Engine,
    readonly context: Context,
  ) {}

  /** Whether the page turns its SDK's DPoP on, from its next load (see LabOptions.dpop). */
  pageDpop = false

  static async start(sdk: Sdk, built: BuiltPages, engine: Engine, accessTokenTtl: number, { inPage = false, resources = false, dpop = false }: LabOptions = {}): Promise<RealLab> {
    if (dpop && sdk !== 'oidc') throw new TypeError(`RealLab: dpop is wired for the oidc page only, not ${sdk}`)
    let config: (() => PageConfig) | undefined
    const site = await servePages(built.files, () => config!())
    const op = await startOpenIdProvider({
      pageOrigins: [site.origin],
      redirectUris: [`${site.origin}/${sdk}.html`],
      postLogoutRedirectUris: [`${site.origin}/${sdk}.html`],
      audiences: resources ? [AUDIENCE, RESOURCE_B] : [AUDIENCE],
      accessTokenTtl,
      issuerSlash: sdk === 'auth0', // auth0-spa-js checks iss against `${domain}/`
      ...(dpop && { dpop: { nonce: true, required: dpop !== 'migrating' } }),
    })
    // Node fetches the JWKS: the loopback address itself, whatever localhost resolves to here.
    const jwksUri = `${op.origin.replace('localhost', '127.0.0.1')}/.well-known/jwks.json`
    // With two APIs, each also takes what a redirect from the other brings (see startVerifyingApi).
    const proofs = dpop ? { dpop: { nonce: true } } : {}
    const api = await startVerifyingApi({ issuer: op.issuer, jwksUri, audience: AUDIENCE, pageOrigin: site.origin, redirected: resources, ...proofs })
    const apiB = resources ? await startVerifyingApi({ issuer: op.issuer, jwksUri, audience: RESOURCE_B, pageOrigin: site.origin, redirected: true, ...proofs }) : null
    // Only to check that the tests can fail: see PageConfig['broken'].
    const broken = process.env.REAL_SDK_BROKEN as PageConfig['broken']
    let lab!: RealLab
    config = () => ({
      issuer: op.issuer,
      opOrigin: op.origin,
      apiOrigin: api.origin,
      audience: AUDIENCE,
      clientId: CLIENT_ID,
      inPage,
      ...(lab.pageDpop && { dpop: true }),
      ...(apiB && { apiB: { origin: apiB.origin, resource: RESOURCE_B } }),
      ...(broken && { broken }),
    })
    lab = new RealLab(sdk, op, api, apiB, site, engine, await engine.newContext())
    lab.pageDpop = dpop === true
    return lab
  }

  get url(): string {
    return `${this.site.origin}/${this.sdk}.html`
  }

  /** A tab with the app booted: SDK loaded, sw-bearer registered. */
  async openTab(): Promise<Tab> {
    const tab = await this.context.newPage()
    await tab.goto(this.url)
    await booted(tab)
    return tab
  }

  /**
   * `count` tabs loading the app at the same moment: every navigation starts before any is
   * awaited, since goto waits for a load and WebDriver classic runs one command at a time.
   */
  async openTabs(count: number): Promise<Tab[]> {
    const tabs: Tab[] = []
    for (let i = 0; i < count; i++) tabs.push(await this.context.newPage())
    for (const tab of tabs) await navigateFromPage(tab, (url) => location.assign(url), this.url)
    await Promise.all(tabs.map(booted))
    return tabs
  }

  /**
   * Signs in through the provider: the SDK's redirect, the scripted login and consent, the callback.
   * `again`: past the provider's session too (prompt=login), e.g. to sign in as another user.
   */
  async login(tab: Tab, user = 'alice', { again = false } = {}): Promise<void> {
    const mark = this.op.mark()
    // The document that leaves is marked, so the one the provider sends back is told apart from it.
    await navigateFromPage(
      tab,
      ([u, a]) => {
        ;(window as any).leftToSignIn = true
        void (window as any).app.login(u, a)
      },
      [user, again] as const,
    )
    await waitInTab(tab, 'back from the provider', (url) => location.href.startsWith(url) && !(window as any).leftToSignIn, this.url).catch(async (error: Error) => {
      throw new Error(`${error.message}; the tab shows ${await tab.evaluate(() => location.href).catch(String)}`)
    })
    await booted(tab)
    // The callback redeemed its code: the sign-in went through, not an error sent back to the app.
    const { codeOk } = this.op.counters(mark)
    if (codeOk !== 1) throw new Error(`login: ${codeOk} authorization codes redeemed, not 1`)
  }

  mark(): Mark {
    return { op: this.op.mark(), api: this.api.mark(), apiB: this.apiB?.mark() ?? 0 }
  }

  since(mark: Mark): Edges {
    const op = this.op.counters(mark.op)
    if (op.serverErrors.length) throw new Error(`provider error: ${op.serverErrors[0]}`)
    const api = this.api.counters(mark.api)
    return {
      tokenCalls: op.tokenRequests,
      refreshOk: op.refreshOk,
      invalidGrant: op.invalidGrant,
      grantRevoked: op.grantRevoked,
      api200: api.ok,
      api401: api.unauthorized,
      api401WithoutToken: api.withoutToken,
      refreshesFor: op.refreshesFor,
      apiB: this.apiB?.counters(mark.apiB) ?? null,
    }
  }

  /**
   * The worker stops and starts again, as browsers stop idle workers: `tab`, the only tab of the
   * app, leaves; the worker is stopped (on demand, or in WebKit by waiting out its ~10 s idle
   * stop, the only way it has); the app loads again in `tab`. Throws unless the worker that
   * controls it is a new instance, so a test never passes on a worker that merely sat idle.
   */
  async restartWorker(tab: Tab): Promise<void> {
    const before = await workerInstance(tab)
    await tab.goto('about:blank')
    if (this.engine.can.stopWorkersInPlace) await this.engine.stopWorkers(tab)
    else await new Promise((resolve) => setTimeout(resolve, 12_000))
    await tab.goto(this.url)
    await booted(tab)
    const after = await workerInstance(tab)
    if (before === null || after === null || after === before) throw new Error(`restartWorker: the worker did not restart (${before} → ${after})`)
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {})
    await Promise.all([this.op.close(), this.api.close(), this.apiB?.close(), this.site.close()])
  }
}

/** Until the app has booted (through a navigation still under way); throws its boot error. */
export async function booted(tab: Tab): Promise<void> {
  await waitInTab(tab, 'app boot', () => (window as any).app?.ready === true, undefined)
  const error = await tab.evaluate(() => (window as any).app.bootError)
  if (error) throw new Error(`page boot: ${error}`)
}
