import { authorizedFetch } from '../authorizedFetch.js'
import type { DebugReport } from '../debugReport.js'
import { ExpiryGuard } from '../ExpiryGuard.js'
import { exclusive } from '../peers.js'
import { Refresher, type RefresherDeps } from '../Refresher.js'
import type { Furnish, Rooms } from './Rooms.js'

export interface FurnishOptions {
  timeoutMs: number
  leewaySeconds: number
  report?: DebugReport['step'] | undefined
  /** The rooms being built: read lazily, once they exist. */
  rooms: () => Rooms
  /** Stand-ins for the browser's parts, in tests. */
  refresher?: Partial<RefresherDeps>
}

/**
 * How each room is furnished, and the rules across rooms: one refresh lock for all; a resource's
 * "nobody" confirmed by the default token's getter; no room takes another's token; and nothing
 * waits behind the lock for a tab that runs a getter right now.
 */
export function furnishRooms({ timeoutMs, leewaySeconds, report, rooms, refresher: overrides }: FurnishOptions): Furnish {
  return (state, origins) => {
    const refresher = new Refresher(state, {
      timeoutMs,
      // One lock for every resource: SDKs hold one refresh token, which rotates (RFC 9700
      // §4.14.2); two flights at once would spend it twice and the provider revoke the grant.
      exclusive: (fly) => exclusive(fly, 2 * timeoutMs),
      reread: () => state.resync(),
      // A resource's "nobody" is the session's only if the default token's getter agrees.
      ...(state.resource !== undefined && { signOut: () => rooms().confirmSignOut() }),
      // A getter that ignores `resource` hands every room the same token: another API's audience.
      foreign: (token) => rooms().all.some((room) => room.state !== state && room.state.token === token),
      ...overrides,
    })
    const expiry = new ExpiryGuard(state, refresher, leewaySeconds)
    const asking = (clientId: string) => rooms().all.some((room) => room.refresher.asking === clientId)
    return { refresher, expiry, send: authorizedFetch({ origins, state, refresher, expiry, report, asking }) }
  }
}
