import type { GetAccessToken } from '../src/index.js'
import { refuseResource } from './oneToken.js'

/** The member of an @workos-inc/authkit-js client (`createClient`) the adapter calls. */
export interface AuthKitClientLike {
  /** `forceRefresh` since authkit-js 0.11; releases before 0.3 resolved `undefined` when signed out. */
  getAccessToken(options?: { forceRefresh?: boolean }): Promise<string | undefined>
}

/**
 * authkit-js's `LoginRequiredError` does not set `name` (it reads `'Error'`), so its fixed
 * `message` is what tells it apart across bundles; `name` covers a release that sets it.
 */
const isLoginRequired = (error: unknown): boolean => {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown }
  return name === 'LoginRequiredError' || message === 'No access token available'
}

/**
 * A getter for an authkit-js client: `client.getAccessToken({ forceRefresh })`.
 *
 * - Not forced: the in-memory token, refreshed first when it expires within
 *   `refreshBufferInterval` (10 s by default).
 * - Forced: a refresh-token exchange with WorkOS, whatever the token's expiry.
 * - `LoginRequiredError` (no session; or the refresh was refused, after which authkit-js has
 *   cleared its session data) or an `undefined` result: `null`.
 *   Other errors (`RefreshTimeoutError` when another tab holds the refresh lock, network) are
 *   rethrown.
 *
 * @example
 * import { createClient } from '@workos-inc/authkit-js'
 * import { fromWorkOS } from 'sw-bearer/adapters'
 *
 * const authkit = await createClient(CLIENT_ID)
 * await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: fromWorkOS(authkit) })
 */
export function fromWorkOS(client: AuthKitClientLike): GetAccessToken {
  return async ({ forceRefresh, resource }) => {
    refuseResource('fromWorkOS', resource)
    try {
      return (await client.getAccessToken({ forceRefresh })) ?? null
    } catch (error) {
      if (isLoginRequired(error)) return null
      throw error
    }
  }
}
