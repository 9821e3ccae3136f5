import type { SessionState, StateCause } from '../../common/protocol.js'
import type { authorizedFetch } from '../authorizedFetch.js'
import type { ExpiryGuard } from '../ExpiryGuard.js'
import type { ApiOriginMap } from '../origins.js'
import type { Refresher } from '../Refresher.js'
import { TokenState } from '../TokenState.js'
import { deleteResourceTokens } from '../tokenStore.js'

/**
 * Everything one token needs: the default token (plain `apiOrigins` entries) has a room, and so
 * has each resource (`{ origin, resource }` entries, RFC 8707). Each room has its own state,
 * single flight, expiry check and backoff; only the refresh lock is shared (see peers.exclusive).
 */
export interface Room {
  readonly resource: string | undefined
  /** The origins whose requests get this room's token: a 401 from another says nothing of it. */
  readonly origins: ReadonlySet<string>
  readonly state: TokenState
  readonly refresher: Refresher
  readonly expiry: ExpiryGuard
  readonly send: ReturnType<typeof authorizedFetch>
}

/** What installTokenInjection builds around a room's state. */
export type Furnish = (state: TokenState, origins: ReadonlySet<string>) => Omit<Room, 'resource' | 'origins' | 'state'>

/**
 * The rooms, and the one rule that ties them: a resource's token belongs to the default token's
 * sign-in. A logout, or a provider's "nobody", clears every room; a sign-in of someone else (a
 * set, another `sub`) drops every resource's token, fetched again on its next use; a resource's
 * token stored under another sign-in (an older version of the worker wrote the default one since)
 * is never used.
 */
export class Rooms {
  readonly default: Room
  readonly resources: readonly Room[]
  #byOrigin = new Map<string, Room>()
  #byResource = new Map<string, Room>()
  /** The default's sign-in the resources were last checked against. */
  #session: string | null = null

  constructor(map: ApiOriginMap, onChange: (state: SessionState) => void, onWriteError: (error: unknown) => void, furnish: Furnish) {
    const originsOf = (resource: string | undefined) => new Set([...map.resourceOf].filter(([, r]) => r === resource).map(([o]) => o))
    const build = (resource: string | undefined, state: TokenState): Room => {
      const origins = originsOf(resource)
      const room: Room = { resource, origins, state, ...furnish(state, origins) }
      for (const origin of origins) this.#byOrigin.set(origin, room)
      return room
    }
    const defaultState: TokenState = new TokenState((state) => onChange(this.snapshot(state)), onWriteError, {
      afterRead: () => this.#checkLoaded(),
      onSession: () => this.#sessionChanged(),
    })
    this.default = build(undefined, defaultState)
    const resources = [...new Set(map.resourceOf.values())].filter((r): r is string => r !== undefined)
    this.resources = resources.map((resource) => {
      const state: TokenState = new TokenState(() => onChange(this.snapshot(defaultState.snapshot('load'))), onWriteError, {
        resource,
        sessionOf: () => defaultState.session,
        afterRead: async () => {
          await defaultState.load()
          this.#check(state)
        },
      })
      const room = build(resource, state)
      this.#byResource.set(resource, room)
      return room
    })
  }

  get all(): readonly Room[] {
    return [this.default, ...this.resources]
  }

  /** The room whose token requests to `origin` get; undefined for an origin not listed. */
  forOrigin(origin: string): Room | undefined {
    return this.#byOrigin.get(origin)
  }

  forResource(resource: string | undefined): Room | undefined {
    return resource === undefined ? this.default : this.#byResource.get(resource)
  }

  /** The default token's state with every resource's beside it, for the tabs. */
  snapshot(state: SessionState | StateCause): SessionState {
    const base = typeof state === 'string' ? this.default.state.snapshot(state) : state
    if (this.resources.length === 0) return base
    const resources: NonNullable<SessionState['resources']> = {}
    for (const room of this.resources) resources[room.resource!] = room.state.resourceSnapshot()
    return { ...base, resources }
  }

  /**
   * A resource's getter said nobody is signed in: the default token's getter decides (its cached
   * answer will do), through its single flight. True when the session ended.
   */
  async confirmSignOut(): Promise<boolean> {
    const { refresher, state } = this.default
    const signedOut = () => state.token === null && state.known
    if (!signedOut()) await refresher.run({ reason: 'startup', force: true, forceRefresh: false })
    return signedOut()
  }

  /** Reads back what another version of the worker stored, for every token. */
  resync(): Promise<unknown> {
    return Promise.all(this.all.map((room) => room.state.resync()))
  }

  /** The default token's sign-in ended (a logout) or another began: at once, before it is stored. */
  #sessionChanged(): void {
    const { token, session } = this.default.state
    if (token === null) {
      for (const room of this.resources) void room.state.drop(true)
      // Those of resources an earlier version listed too: no token of the session stays at rest.
      void deleteResourceTokens().catch(() => {})
    } else if (session !== this.#session) for (const room of this.resources) void room.state.drop(false)
    this.#session = session
  }

  /** After the default token was read from storage: it may belong to another sign-in now. */
  #checkLoaded(): void {
    const main = this.default.state
    // A resync found another sign-in (another version of the worker signed someone in or out):
    // every resource's flight still under way belongs to the last one and must not land.
    const changed = main.loaded && main.session !== this.#session
    for (const room of this.resources) {
      if (!room.state.loaded) continue
      if (changed) void room.state.drop(main.token === null && main.known)
      else this.#check(room.state)
    }
    this.#session = main.session
  }

  /**
   * A resource's token is good while the default's sign-in is the one it was stored with.
   * Without a token of its own, it is fetched on its next use unless the default is signed out.
   */
  #check(state: TokenState): void {
    const main = this.default.state
    const signedOut = main.token === null && main.known
    if (state.token !== null && (main.token === null || state.session !== main.session)) void state.drop(signedOut)
    else if (state.token === null) state.known = signedOut
  }
}
