import type { GetAccessToken } from '../src/index.js'
import { isSignedOutError, oauthErrorCode } from './signedOut.js'

/**
 * What may be passed on to auth0-spa-js `getTokenSilently`. `cacheMode` is the adapter's
 * to set, and `detailedResponse` would turn the token into an object, so neither is here.
 */
export interface Auth0TokenOptions {
  /** Sent to Auth0 as is: ask for your API's `audience` here, as at login. */
  authorizationParams?: { audience?: string; scope?: string; [key: string]: unknown }
  timeoutInSeconds?: number
}

/** The member of an @auth0/auth0-spa-js 2.x `Auth0Client` the adapter calls. */
export interface Auth0ClientLike {
  getTokenSilently(options: Auth0TokenOptions & { cacheMode: 'on' | 'off' }): Promise<string | undefined>
}

/**
 * Auth0's own "signed out" on top of the OAuth ones: `missing_refresh_token` is thrown by
 * the SDK when `useRefreshTokens` is on and it holds no refresh token (and
 * `useRefreshTokensFallback` is off), so only an interactive login can get a token.
 */
const AUTH0_SIGNED_OUT = ['missing_refresh_token']

/** Errors that, for a resource's audience, concern that audience only (see the adapter's docs). */
const RESOURCE_FAILURES = ['consent_required', 'missing_refresh_token']

/**
 * A getter for an auth0-spa-js `Auth0Client`:
 * `getTokenSilently({ ...options, cacheMode: forceRefresh ? 'off' : 'on' })`.
 *
 * - Not forced: Auth0's cache answers while the token has more than 60 s left, else it renews.
 * - Forced: `cacheMode: 'off'` goes to Auth0 (refresh token, or iframe with `prompt=none`).
 * - Resolves `undefined` (the session's `session_expiry` ceiling is reached and the SDK
 *   cleared its local session): `null`.
 * - Throws a `GenericError` whose `error` is `login_required`, `consent_required`,
 *   `interaction_required` (OIDC Core §3.1.2.6), `invalid_grant` (RFC 6749 §5.2: the refresh
 *   token is revoked or expired) or `missing_refresh_token`: `null`. For a resource,
 *   `consent_required` and `missing_refresh_token` are thrown instead: the user has not
 *   consented to that audience, or the refresh token does not serve it (no MRRT), which signs
 *   nobody out of the others. Others, such as
 *   `mfa_required` or `timeout`, are rethrown and reach the app as the session's `error` event.
 *
 * A resource's token (the context's `resource`, from a `{ origin, resource }` entry of the
 * worker's `apiOrigins`): the same call with `authorizationParams.audience` set to it, which
 * auth0-spa-js caches per audience. With refresh tokens, the one refresh token must serve both
 * audiences: `useMrrt: true` in the `Auth0Client` options (auth0-spa-js 2.x) and a tenant whose
 * Multi-Resource Refresh Token policy allows that audience; or `useRefreshTokensFallback: true`
 * (a silent iframe, which needs third-party cookies). Otherwise the SDK throws
 * `missing_refresh_token` for the resource, which reaches the app as that resource's error.
 *
 * Use `useRefreshTokens: true` (silent iframes fail with `login_required` where third-party
 * cookies are blocked, which would read as signed out) with `cacheLocation: 'localstorage'`
 * or `useRefreshTokensFallback: true`, so a tab opened later also holds a refresh token.
 * Make the client with `new Auth0Client(…)`, not `createAuth0Client(…)`: that runs
 * `checkSession()` at load in every tab, a token call outside sw-bearer's single flight
 * (measured: four tabs restored at once with a token near expiry made two token calls
 * instead of one). sw-bearer's startup call to the getter is that check.
 *
 * @example
 * import { Auth0Client } from '@auth0/auth0-spa-js'
 * import { fromAuth0 } from 'sw-bearer/adapters'
 *
 * const authorizationParams = { audience: 'https://api.example.com' }
 * const auth0 = new Auth0Client({ domain, clientId, authorizationParams, useRefreshTokens: true, cacheLocation: 'localstorage' })
 * await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: fromAuth0(auth0, { authorizationParams }) })
 */
export function fromAuth0(client: Auth0ClientLike, options: Auth0TokenOptions = {}): GetAccessToken {
  return async ({ forceRefresh, resource }) => {
    const authorizationParams = resource === undefined ? options.authorizationParams : { ...options.authorizationParams, audience: resource }
    try {
      // cacheMode last: a forced call must never be served from the cache.
      const call = { ...options, ...(authorizationParams && { authorizationParams }), cacheMode: forceRefresh ? ('off' as const) : ('on' as const) }
      return (await client.getTokenSilently(call)) ?? null
    } catch (error) {
      // For one resource's audience, missing consent or no refresh token for it (no MRRT) is that
      // resource's failure, not a sign-out of every tab.
      const resourceOnly = resource !== undefined && RESOURCE_FAILURES.includes(oauthErrorCode(error) ?? '')
      if (isSignedOutError(error, AUTH0_SIGNED_OUT) && !resourceOnly) return null
      throw error
    }
  }
}
