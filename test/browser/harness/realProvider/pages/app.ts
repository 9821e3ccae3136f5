// The app around each SDK page: registers sw-bearer with the SDK's adapter and calls the
// API with plain fetch, never touching a token. `window.app` is what the tests drive.
import { registerTokenServiceWorker, type GetAccessToken, type TokenSession } from '../../../../../src/index.js'

/** Filled in by the page server for each run (origins are ephemeral ports). */
export interface PageConfig {
  issuer: string
  opOrigin: string
  apiOrigin: string
  audience: string
  /**
   * A second API, on its own origin, that takes tokens for its own resource (RFC 8707; issue 15):
   * the worker lists it as `{ origin, resource }` and the SDK signs in for both. Absent: one API.
   */
  apiB?: { origin: string; resource: string }
  clientId: string
  /** The worker script 404s: the session runs in the page, through `fallback`. */
  inPage: boolean
  /** The SDK binds its tokens with DPoP (RFC 9449; oidc-client-ts's `dpop` setting). Absent: Bearer. */
  dpop?: boolean
  /**
   * A behaviour the issue describes as broken, to check the tests catch it (REAL_SDK_BROKEN):
   * - ignore-force: the getter always gets `forceRefresh: false`, so the SDK's cached token comes back
   * - startup-outside: each tab asks its SDK for a forced token at load, outside the worker's single flight
   * - sdk-only-signout: sign-out skips `session.logout()`
   */
  broken?: 'ignore-force' | 'startup-outside' | 'sdk-only-signout'
}

export const config: PageConfig = JSON.parse(document.getElementById('config')!.textContent!)

/** What each SDK page provides: its sign-in, its sign-out, and the shipped adapter. */
export interface SdkPage {
  /** Completes a redirect sign-in when this load is its callback; true if it was. */
  handleCallback(): Promise<boolean>
  getAccessToken: GetAccessToken
  /** `again`: sign in even though the provider still has a session (prompt=login), e.g. as another user. */
  login(user: string, again: boolean): Promise<void>
  /** The SDK's own local sign-out (no navigation to the provider). */
  signOutLocal(): Promise<void>
  signedIn(): Promise<boolean>
}

const describeError = (e: any) => `${e?.error ?? e?.errorCode ?? e?.name ?? 'Error'}: ${e?.error_description ?? e?.message ?? e}`

export async function startApp(sdk: SdkPage): Promise<void> {
  const app: any = ((window as any).app = { ready: false, bootError: null, getterCalls: [], events: [] })
  try {
    // Drop ?code&state so a reload is an ordinary load, not a second callback.
    if (await sdk.handleCallback()) history.replaceState(null, '', location.pathname)
  } catch (e) {
    app.bootError = `callback: ${describeError(e)}`
  }
  // The shipped adapter, counted: which reason sw-bearer gave and whether it asked to skip caches.
  const getAccessToken: GetAccessToken = async (context) => {
    const call: any = { reason: context?.reason, forceRefresh: context?.forceRefresh, resource: context?.resource }
    app.getterCalls.push(call)
    try {
      const token = await sdk.getAccessToken(config.broken === 'ignore-force' ? { ...context, forceRefresh: false } : context)
      call.result = token ? 'token' : 'null'
      return token
    } catch (e) {
      call.result = `error ${describeError(e)}`
      throw e
    }
  }
  let session: TokenSession | undefined
  if (config.broken === 'startup-outside') await sdk.getAccessToken({ reason: 'startup', forceRefresh: true }).catch(() => null)
  try {
    session = await registerTokenServiceWorker({
      scriptURL: config.inPage ? '/no-such-sw.js' : '/sw.js',
      type: 'module',
      getAccessToken,
      ...(config.inPage ? { fallback: { apiOrigins: [config.apiOrigin] } } : {}),
    })
    for (const type of ['tokenchange', 'logout', 'error'] as const) {
      session.addEventListener(type, (e: any) => app.events.push({ type, code: e.detail?.error?.code }))
    }
    session.addEventListener('resourcechange', ({ detail }) =>
      app.events.push({ type: 'resourcechange', resource: detail.resource, hasToken: detail.hasToken, jti: detail.claims?.jti ?? null }),
    )
    app.mode = () => session?.mode
    // For what no helper below covers: a test reads the public API directly.
    app.session = session
  } catch (e) {
    app.bootError = `register: ${describeError(e)}`
  }
  app.login = (user: string, again = false) => sdk.login(user, again)
  const callApi = async (origin: string) => {
    const response = await fetch(`${origin}/me`)
    const body = await response.json().catch(() => null)
    return { status: response.status, jti: body?.jti ?? null, exp: body?.exp ?? null, reason: body?.reason ?? null, sub: body?.sub ?? null, aud: body?.aud ?? null }
  }
  app.call = () => callApi(config.apiOrigin)
  app.callB = () => callApi(config.apiB!.origin)
  // The session's view of one resource's token (undefined: the default one), claims cut to what tests compare.
  app.tokenView = (resource?: string) => {
    const { claims, hasToken } = resource === undefined ? session! : session!.resource(resource)
    return { hasToken, aud: claims?.aud ?? null, sub: claims?.sub ?? null, jti: claims?.jti ?? null }
  }
  app.resources = () => session?.resources
  app.refresh = (resource?: string) => session!.refresh(resource === undefined ? {} : { resource }).then((token) => token !== null)
  app.state = async () => ({ hasToken: session?.hasToken ?? null, sdkSignedIn: await sdk.signedIn() })
  app.signOut = async () => {
    if (config.broken !== 'sdk-only-signout') await session?.logout()
    await sdk.signOutLocal()
  }
  app.ready = true
}
