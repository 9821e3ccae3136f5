import type { GetAccessToken } from '../src/index.js'
import { refuseResource } from './oneToken.js'

/** The members of a Firebase JS SDK (v9+ modular) `Auth` the adapter reads. */
export interface FirebaseAuthLike {
  readonly currentUser: { getIdToken(forceRefresh?: boolean): Promise<string> } | null
  /** Firebase JS 10.1+. Resolves once the persisted user, if any, has been restored. */
  authStateReady?(): Promise<void>
}

/**
 * A getter for a Firebase `Auth` (`getAuth(app)`): the signed-in user's ID token.
 *
 * - Waits for `auth.authStateReady()` first, when the SDK has it: until persistence is
 *   restored, `currentUser` is `null` even for a signed-in user, which would sign every tab out.
 * - `auth.currentUser === null`: `null`.
 * - Otherwise `currentUser.getIdToken(forceRefresh)`: not forced, the cached ID token unless it
 *   expires within five minutes; forced, a new one from Firebase whatever its expiry.
 * - `getIdToken` failing after Firebase signed the user out (it does so itself for
 *   `auth/user-token-expired` and `auth/user-disabled`, then rethrows): `null`. Any other
 *   failure (`auth/network-request-failed`…) is rethrown.
 *
 * Keep the default `browserLocalPersistence` (IndexedDB, shared by every tab): with
 * `browserSessionPersistence` or `inMemoryPersistence` a tab opened later has no user and
 * would sign every tab out.
 *
 * @example
 * import { getAuth } from 'firebase/auth'
 * import { fromFirebase } from 'sw-bearer/adapters'
 *
 * await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: fromFirebase(getAuth(app)) })
 */
export function fromFirebase(auth: FirebaseAuthLike): GetAccessToken {
  return async ({ forceRefresh, resource }) => {
    refuseResource('fromFirebase', resource)
    await auth.authStateReady?.()
    const user = auth.currentUser
    if (!user) return null
    try {
      return await user.getIdToken(forceRefresh)
    } catch (error) {
      if (auth.currentUser === null) return null
      throw error
    }
  }
}
