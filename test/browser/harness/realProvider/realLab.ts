import { CLIENT_ID, startOpenIdProvider, type OpenIdProvider } from '../../../../tools/openidProvider.js'
import type { Context, Engine, Tab } from '../engines/index.js'
import type { Served } from '../httpServer.js'
import type { BuiltPages } from './buildPages.js'
import { navigateFromPage, waitInTab } from './navigation.js'
import type { PageConfig } from './pages/app.js'
import { servePages, type Sdk } from './pageServer.js'
import { startVerifyingApi, type VerifyingApi } from './verifyingApi.js'

export const AUDIENCE = 'https://api.example.test'

/** What reached the provider's token endpoint and the API since a mark. */
export interface Edges {
  tokenCalls: number
  refreshOk: number
  invalidGrant: number
  grantRevoked: number
  api200: number
  api401: number
  api401WithoutToken: number
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
    readonly site: Served & { origin: string },
    readonly context: Context,
  ) {}

  /** `inPage`: the app's worker script 404s, so its session runs in the page (issue 14's fallback). */
  static async start(sdk: Sdk, built: BuiltPages, engine: Engine, accessTokenTtl: number, { inPage = false } = {}): Promise<RealLab> {
    let config: (() => PageConfig) | undefined
    const site = await servePages(built.files, () => config!())
    const op = await startOpenIdProvider({
      pageOrigins: [site.origin],
      redirectUris: [`${site.origin}/${sdk}.html`],
      postLogoutRedirectUris: [`${site.origin}/${sdk}.html`],
      audience: AUDIENCE,
      accessTokenTtl,
      issuerSlash: sdk === 'auth0', // auth0-spa-js checks iss against `${domain}/`
    })
    // Node fetches the JWKS: the loopback address itself, whatever localhost resolves to here.
    const jwksUri = `${op.origin.replace('localhost', '127.0.0.1')}/.well-known/jwks.json`
    const api = await startVerifyingApi({ issuer: op.issuer, jwksUri, audience: AUDIENCE, pageOrigin: site.origin })
    // Only to check that the tests can fail: see PageConfig['broken'].
    const broken = process.env.REAL_SDK_BROKEN as PageConfig['broken']
    config = () => ({ issuer: op.issuer, opOrigin: op.origin, apiOrigin: api.origin, audience: AUDIENCE, clientId: CLIENT_ID, inPage, ...(broken && { broken }) })
    return new RealLab(sdk, op, api, site, await engine.newContext())
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

  /** Signs in through the provider: the SDK's redirect, the scripted login and consent, the callback. */
  async login(tab: Tab, user = 'alice'): Promise<void> {
    const mark = this.op.mark()
    // The document that leaves is marked, so the one the provider sends back is told apart from it.
    await navigateFromPage(
      tab,
      (u) => {
        ;(window as any).leftToSignIn = true
        void (window as any).app.login(u)
      },
      user,
    )
    await waitInTab(tab, 'back from the provider', (url) => location.href.startsWith(url) && !(window as any).leftToSignIn, this.url).catch(async (error: Error) => {
      throw new Error(`${error.message}; the tab shows ${await tab.evaluate(() => location.href).catch(String)}`)
    })
    await booted(tab)
    // The callback redeemed its code: the sign-in went through, not an error sent back to the app.
    const { codeOk } = this.op.counters(mark)
    if (codeOk !== 1) throw new Error(`login: ${codeOk} authorization codes redeemed, not 1`)
  }

  mark(): { op: number; api: number } {
    return { op: this.op.mark(), api: this.api.mark() }
  }

  since(mark: { op: number; api: number }): Edges {
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
    }
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {})
    await Promise.all([this.op.close(), this.api.close(), this.site.close()])
  }
}

/** Until the app has booted (through a navigation still under way); throws its boot error. */
export async function booted(tab: Tab): Promise<void> {
  await waitInTab(tab, 'app boot', () => (window as any).app?.ready === true, undefined)
  const error = await tab.evaluate(() => (window as any).app.bootError)
  if (error) throw new Error(`page boot: ${error}`)
}
