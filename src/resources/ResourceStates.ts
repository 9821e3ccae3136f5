import type { JWTPayload } from 'jose'
import type { ResourceState } from '../../common/protocol.js'

/** What a tab knows of one resource's token (RFC 8707); the token itself stays in the worker. */
export interface ResourceView {
  /** The resource's token's claims, decoded but not verified; null when it has none or it is opaque. */
  claims: JWTPayload | null
  /** Whether the worker holds a token for it. False until its first use: it is fetched then. */
  hasToken: boolean
}

/** What a `resourcechange` event carries. */
export interface ResourceChangeDetail extends ResourceView {
  resource: string
}

/**
 * This tab's view of each resource's token, taken from the worker's states. Each resource has its
 * own stamp, apart from the default token's: a state that leaves the default token alone (a
 * resource refreshed) still says something new about a resource, and an older one nothing.
 */
export class ResourceStates {
  #views = new Map<string, ResourceState>()

  /** The resources the worker lists, in its order. */
  get names(): readonly string[] {
    return [...this.#views.keys()]
  }

  get(resource: string): ResourceView | undefined {
    const view = this.#views.get(resource)
    return view && { claims: view.claims, hasToken: view.hasToken }
  }

  /**
   * Takes what is newer than what this tab holds. `changed` hears each resource whose token
   * changed, unless this is the tab's first state (nothing it said before has changed).
   * `resync`: the states come from a mode that counts its own stamps; take them as they are.
   * `older`: the state is older than the tab's, by the default token's stamp.
   */
  apply(resources: Record<string, ResourceState> | undefined, changed: (detail: ResourceChangeDetail) => void, resync = false, older = false): void {
    // Every state lists every resource the worker has: one it no longer lists (a deploy removed
    // it, or a worker without any answers) is gone, not signed in. Unless the state is older than
    // what the tab holds (the old version, during a deploy): that says nothing of the new one.
    if (!older) for (const name of this.#views.keys()) if (!resources || !Object.hasOwn(resources, name)) this.#views.delete(name)
    if (!resources) return
    for (const [resource, next] of Object.entries(resources)) {
      const held = this.#views.get(resource)
      if (held && next.stamp <= held.stamp && !resync) continue
      this.#views.set(resource, next)
      const same = held && held.hasToken === next.hasToken && JSON.stringify(held.claims) === JSON.stringify(next.claims)
      if (held && !same) changed({ resource, claims: next.claims, hasToken: next.hasToken })
    }
  }
}
