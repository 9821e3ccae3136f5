import type { GetAccessToken } from '../src/index.js'
import { refuseResource } from './oneToken.js'

/** Privy's `getAccessToken`, from `usePrivy()`, the direct import, or the core client. */
export type PrivyGetAccessToken = () => Promise<string | null>

/**
 * A getter for Privy: its `getAccessToken()`, which resolves the user's access token
 * (refreshing it first when it is near expiry or expired) or `null` when nobody is signed in.
 *
 * Privy has no force option, so `forceRefresh` cannot be honoured. After a 401 for a token
 * Privy still considers valid (revoked early), it may hand back that same token: sw-bearer
 * reports it as an `error` event with code `stale-token` and backs off exponentially (1 s,
 * 2 s, 4 s … capped at 60 s) before asking again, which is the backoff Privy's docs ask
 * clients to apply to failing refreshes.
 *
 * With the direct import, call it only once `PrivyProvider` has rendered (`usePrivy().ready`).
 *
 * @example
 * import { usePrivy } from '@privy-io/react-auth'
 * import { fromPrivy } from 'sw-bearer/adapters'
 *
 * const { ready, getAccessToken } = usePrivy()
 * useEffect(() => {
 *   if (ready) void registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: fromPrivy(getAccessToken) })
 * }, [ready])
 */
export function fromPrivy(getAccessToken: PrivyGetAccessToken): GetAccessToken {
  // Called without sw-bearer's context: Privy's getter must not mistake it for options.
  return async ({ resource }) => {
    refuseResource('fromPrivy', resource)
    return getAccessToken()
  }
}
