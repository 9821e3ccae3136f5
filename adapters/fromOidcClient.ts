import type { GetAccessToken } from '../src/index.js'
import { isSignedOutError } from './signedOut.js'

/** The members of an oidc-client-ts 3.x `User` the adapter reads. */
export interface OidcUserLike {
  access_token: string
  /** `undefined` when the OP sent no `expires_in`: then only a 401 forces a renewal. */
  readonly expired?: boolean | undefined
}

/** The members of an oidc-client-ts 3.x `UserManager` the adapter calls. */
export interface UserManagerLike {
  getUser(): Promise<OidcUserLike | null>
  signinSilent(): Promise<OidcUserLike | null>
}

/**
 * A getter for an oidc-client-ts `UserManager`.
 *
 * - Not forced: the stored user's `access_token` while `expired` is false (`getUser()`).
 * - Forced, or the stored token expired: `signinSilent()`, which uses the refresh token when
 *   the user has one and a hidden iframe with `prompt=none` otherwise, and stores the new user.
 * - No stored user: `null`, without asking the OP (nobody signed in to this app).
 * - `signinSilent` failing with an `ErrorResponse` whose `error` is `login_required`,
 *   `interaction_required` or `consent_required` (OIDC Core §3.1.2.6: the OP session is
 *   gone) or `invalid_grant` (RFC 6749 §5.2: the refresh token is revoked or expired): `null`.
 *   Anything else (`ErrorTimeout`, network, `server_error`) is rethrown.
 *
 * Every tab must see the same user: oidc-client-ts keeps it in `sessionStorage` by default,
 * where a tab opened later finds none and would sign every tab out. Pass
 * `userStore: new WebStorageStateStore({ store: window.localStorage })`.
 *
 * @example
 * import { UserManager, WebStorageStateStore } from 'oidc-client-ts'
 * import { fromOidcClient } from 'sw-bearer/adapters'
 *
 * const userManager = new UserManager({ ...settings, userStore: new WebStorageStateStore({ store: localStorage }) })
 * await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: fromOidcClient(userManager) })
 */
export function fromOidcClient(userManager: UserManagerLike): GetAccessToken {
  return async ({ forceRefresh }) => {
    const user = await userManager.getUser()
    if (!user) return null
    if (!forceRefresh && user.expired !== true) return user.access_token
    try {
      const renewed = await userManager.signinSilent()
      return renewed?.access_token ?? null
    } catch (error) {
      if (isSignedOutError(error)) return null
      throw error
    }
  }
}
