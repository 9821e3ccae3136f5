import type { Browser, BrowserContext, Page } from 'playwright-core'
import { CLIENT_ID, startOpenIdProvider, type OpenIdProvider } from '../../../../tools/openidProvider.js'
import type { Served } from '../httpServer.js'
import type { BuiltPages } from './buildPages.js'
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
    readonly context: BrowserContext,
  ) {}

  static async start(sdk: Sdk, built: BuiltPages, browser: Browser, accessTokenTtl: number): Promise<RealLab> {
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
    config = () => ({ issuer: op.issuer, opOrigin: op.origin, apiOrigin: api.origin, audience: AUDIENCE, clientId: CLIENT_ID, ...(broken && { broken }) })
    return new RealLab(sdk, op, api, site, await browser.newContext())
  }

  get url(): string {
    return `${this.site.origin}/${this.sdk}.html`
  }

  /** A tab with the app booted: SDK loaded, sw-bearer registered. */
  async openTab(): Promise<Page> {
    const page = await this.context.newPage()
    if (process.env.LAB_DEBUG) page.on('console', (m) => console.log(`[${this.sdk}] ${m.text()}`))
    await page.goto(this.url)
    await booted(page)
    return page
  }

  /** Signs in through the provider: the SDK's redirect, the scripted login and consent, the callback. */
  async login(page: Page, user = 'alice'): Promise<void> {
    const back = page.waitForURL((u) => u.href.startsWith(this.url) && u.searchParams.has('code'), { timeout: 30_000 })
    await page.evaluate((u) => (window as any).app.login(u), user).catch(() => {}) // the navigation ends the evaluate
    await back
    await booted(page)
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

export async function booted(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as any).app?.ready === true, null, { timeout: 30_000 })
  const error = await page.evaluate(() => (window as any).app.bootError)
  if (error) throw new Error(`page boot: ${error}`)
}
