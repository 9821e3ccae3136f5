import type { GetAccessToken } from '../src/index.js'
import { SwBearerError } from '../common/errors.js'
import { isSignedOutError } from './signedOut.js'

/** The member of an okta-auth-js `AccessToken` the adapter reads. */
export interface OktaAccessTokenLike {
  accessToken: string
  /** Set by `signOut()` on the tokens it is about to remove (okta-auth-js 5+). */
  pendingRemove?: boolean
}

/** The members of an @okta/okta-auth-js 8.x `OktaAuth` the adapter calls. */
export interface OktaAuthLike {
  tokenManager: {
    getTokensSync(): { accessToken?: OktaAccessTokenLike | undefined; refreshToken?: unknown }
    /**
     * True within `tokenManager.expireEarlySeconds` (30 s by default) of `exp`. Takes the SDK's
     * own token type, which this file cannot name: it is only ever handed what
     * `getTokensSync()` returned.
     */
    hasExpired(token: never): boolean
    /** Resolves the renewed token of the key's type; rejects when the renewal fails. */
    renew(key: string): Promise<unknown>
    /** The key the access token is stored under (okta-auth-js 7+); `'accessToken'` before. */
    getStorageKeyByType?(type: 'accessToken'): string | undefined
  }
}

/**
 * A getter for an okta-auth-js `OktaAuth`, through its token manager, so Okta's storage,
 * its `renewed` listeners and its other tabs stay in step with sw-bearer.
 *
 * - Neither an access token nor a refresh token stored: `null` (the token manager could not
 *   renew either: it rejects with "no token"). A token `signOut()` marked `pendingRemove` counts
 *   as none: that sign-out is under way (see the Okta notes in demo/README.md).
 * - Not forced: the stored access token while `tokenManager.hasExpired` says it is valid.
 * - Forced, or expired: `tokenManager.renew(key)`, which uses the refresh token when there is
 *   one and a hidden iframe with `prompt=none` otherwise, and stores the new tokens.
 * - `renew` rejecting with an `OAuthError` whose `errorCode` is `login_required`,
 *   `interaction_required`, `consent_required` (OIDC Core §3.1.2.6: no Okta session) or
 *   `invalid_grant` (RFC 6749 §5.2: the refresh token is revoked or expired): `null`.
 *   Other errors (`AuthSdkError`, network, `AuthApiError`) are rethrown.
 *
 * Resources: an Okta authorization server issues tokens for one audience, so each resource is
 * its own `OktaAuth` (its `issuer` that server, its own `storageManager` prefix) signed in
 * through the same Okta session: `fromOkta(oktaAuth, { resources: { [resource]: billingAuth } })`.
 * A resource not in the map fails (`invalid-options`) rather than get the default token.
 *
 * Not `getOrRenewAccessToken()`: it resolves `null` for *any* failed renewal (it emits the
 * error instead), so a network blip would sign every tab out.
 *
 * @example
 * import { OktaAuth } from '@okta/okta-auth-js'
 * import { fromOkta } from 'sw-bearer/adapters'
 *
 * const oktaAuth = new OktaAuth({ issuer, clientId, redirectUri, scopes: ['openid', 'profile', 'offline_access'] })
 * await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: fromOkta(oktaAuth) })
 */
export function fromOkta(authClient: OktaAuthLike, options: { resources?: Record<string, OktaAuthLike> } = {}): GetAccessToken {
  return async ({ forceRefresh, resource }) => {
    const resources = options.resources ?? {}
    const client = resource === undefined ? authClient : Object.hasOwn(resources, resource) ? resources[resource] : undefined
    if (!client) throw new SwBearerError('invalid-options', `fromOkta: no OktaAuth for the resource "${resource}" in options.resources`)
    const tokenManager = client.tokenManager
    const tokens = tokenManager.getTokensSync()
    const accessToken = live(tokens.accessToken)
    const refreshToken = live(tokens.refreshToken as { pendingRemove?: boolean } | undefined)
    if (!accessToken && !refreshToken) return null
    if (!forceRefresh && accessToken && !tokenManager.hasExpired(accessToken as never)) return accessToken.accessToken
    try {
      // Okta's own getOrRenewAccessToken looks the key up the same way.
      const renewed = await tokenManager.renew(tokenManager.getStorageKeyByType?.('accessToken') ?? 'accessToken')
      const token = (renewed as Partial<OktaAccessTokenLike> | undefined)?.accessToken
      return typeof token === 'string' ? token : null
    } catch (error) {
      if (isSignedOutError(error)) return null
      throw error
    }
  }
}

/** A stored token, unless a sign-out marked it for removal. */
const live = <T extends { pendingRemove?: boolean }>(token: T | undefined): T | undefined => (token?.pendingRemove ? undefined : token)
