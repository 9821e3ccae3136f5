/// <reference lib="webworker" />
import { isBearerToken } from '../common/bearerToken.js'
import type { WireError } from '../common/errors.js'
import type { RefreshReason } from '../common/protocol.js'
import { askClient, type Answer, type AskContext } from './askClient.js'
import { Backoff } from './Backoff.js'
import { scopeWindows, tellClient } from './broadcast.js'
import { DEV } from './dev.js'
import { boundByClaims } from '../common/dpopCredential.js'
import { bindToken } from './dpop/binding.js'
import { sleep } from './sleep.js'
import type { TokenState } from './TokenState.js'

declare const self: ServiceWorkerGlobalScope

/**
 * - refreshed: a new token is held
 * - logged-out: the provider said nobody is signed in (or nobody was)
 * - failed: no tab could refresh, the provider threw, or we are backing off
 * - discarded: a set or logout happened meanwhile and wins over this refresh
 */
export type RefreshOutcome = 'refreshed' | 'logged-out' | 'failed' | 'discarded'

export interface RefreshRequest {
  /** The tab whose request needs the token: asked first, since it is surely alive. */
  clientId?: string | undefined
  reason: RefreshReason
  /** A person asked (session.refresh()) or a tab started: runs even when logged out or backing off. */
  force?: boolean
  /**
   * Whether a cached token will not do (the getter's `forceRefresh`). Defaults to true
   * for every reason but `startup`, where the caller knows whether the held token is due.
   */
  forceRefresh?: boolean
}

export interface RefresherDeps {
  timeoutMs: number
  ask?: (client: Client, context: AskContext, timeoutMs: number) => Promise<Answer>
  windows?: () => Promise<readonly Client[]>
  /** One tab by id, or undefined once it closed (Clients.get). */
  find?: (id: string) => Promise<Client | undefined>
  /** Tells one tab about an error only the worker can see. */
  tell?: (client: Client, error: WireError) => void
  /** Runs a flight while no other version of this worker runs one (a deploy overlaps two). */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>
  /** Reads back what another version of this worker stored: before asking, and before applying an answer. */
  reread?: () => Promise<void>
  /**
   * What the provider's "nobody is signed in" does, after this flight let go of the lock; true
   * when the session ended. Clears this token by default. A resource's refresher asks the default
   * token's getter instead, whose answer decides: an SDK may have no token for one resource
   * (none fetched yet, consent missing) while the session goes on.
   */
  signOut?: () => Promise<boolean>
  /** Whether a token belongs to another room (a getter that ignores `resource`): never held here. */
  foreign?: (token: string) => boolean
  backoff?: Backoff
}

interface Flight {
  promise: Promise<RefreshOutcome>
  forceRefresh: boolean
  generation: number
}

/**
 * One refresh at a time for the whole origin. The worker serves every tab, so
 * this single flight is what makes N concurrent 401s in M tabs cost one call to
 * the provider.
 */
export class Refresher {
  readonly backoff: Backoff
  #flight: Flight | undefined
  #lastRejected: string | undefined
  #refusedInARow = 0
  /**
   * The tab running getAccessToken right now. Its own requests, the SDK's calls among
   * them, must not wait for this refresh: it is waiting for them.
   */
  asking: string | undefined
  /**
   * Tabs that have spoken the protocol, so surely run a session that can refresh, by id.
   * Their Client objects also stand in for the browser's tab list when it is late.
   */
  #sessions = new Map<string, Client>()
  #state: TokenState
  #timeoutMs: number
  #ask: NonNullable<RefresherDeps['ask']>
  #windows: NonNullable<RefresherDeps['windows']>
  #find: NonNullable<RefresherDeps['find']>
  #tell: NonNullable<RefresherDeps['tell']>
  #exclusive: NonNullable<RefresherDeps['exclusive']>
  #reread: NonNullable<RefresherDeps['reread']>
  #signOut: NonNullable<RefresherDeps['signOut']>
  #foreign: NonNullable<RefresherDeps['foreign']>
  /** The token the last flight brought from a tab's SDK, and when: other tabs' SDKs may not see it yet. */
  #brought: { token: string; at: number } | undefined

  constructor(state: TokenState, deps: RefresherDeps) {
    this.#state = state
    this.#timeoutMs = deps.timeoutMs
    this.#ask = deps.ask ?? askClient
    this.#windows = deps.windows ?? scopeWindows
    this.#find = deps.find ?? (async (id) => self.clients.get(id))
    this.#tell = deps.tell ?? tellClient
    this.#exclusive = deps.exclusive ?? ((fn) => fn())
    this.#reread = deps.reread ?? (async () => {})
    this.#signOut = deps.signOut ?? (() => state.set(null, 'logout', true).then(() => true))
    this.#foreign = deps.foreign ?? (() => false)
    this.backoff = deps.backoff ?? new Backoff()
  }

  /**
   * The refresh under way, if any: requests that need a token wait for it. One
   * started before the latest set or logout does not count: its result will be
   * discarded, so nobody should wait for it or join it.
   */
  get inFlight(): Promise<RefreshOutcome> | undefined {
    return this.#current()?.promise
  }

  #current(): Flight | undefined {
    return this.#flight?.generation === this.#state.generation ? this.#flight : undefined
  }

  run(request: RefreshRequest): Promise<RefreshOutcome> {
    const forceRefresh = request.forceRefresh ?? request.reason !== 'startup'
    const current = this.#current()
    if (current && (current.forceRefresh || !forceRefresh)) return current.promise
    if (current) {
      // A cached answer is on its way (a tab starting up) but this caller knows the held
      // token is refused or due: after it, ask again with force unless it brought another token.
      const held = this.#state.token
      return current.promise.then(() => (this.#state.token === held ? this.run(request) : current.promise))
    }
    const settling = forceRefresh ? 0 : settlingMs(this.#brought, this.#state.token)
    if (settling > 0) {
      // A set or logout meanwhile wins, as it does over a flight that had started (see #current).
      const generation = this.#state.generation
      return sleep(settling).then(() => (this.#state.generation === generation ? this.run(request) : 'discarded'))
    }
    if (!request.force) {
      // After a logout nobody calls the provider until a token is set again.
      if (this.#state.token === null && this.#state.known) return Promise.resolve('logged-out')
      if (!this.backoff.ready()) return Promise.resolve('failed')
    }
    const context = { reason: request.reason, forceRefresh, resource: this.#state.resource }
    const promise = this.#fly(request.clientId, context).finally(() => {
      if (this.#flight?.promise === promise) this.#flight = undefined
    })
    this.#flight = { promise, forceRefresh, generation: this.#state.generation }
    return promise
  }

  /**
   * Notes a tab that runs a session. A page in scope that never registered (a static
   * help page, say) would only be waited out; tabs known to hold a session go first.
   */
  knowSession(client: Client): void {
    // Most recently heard last; the oldest go past MAX_KNOWN (a tab reloaded all day).
    this.#sessions.delete(client.id)
    this.#sessions.set(client.id, client)
    if (this.#sessions.size > MAX_KNOWN) this.#sessions.delete(this.#sessions.keys().next().value!)
  }

  /**
   * A fresh token the API refused on a retry. Once may be a real revocation, or an
   * endpoint that answers 401 whatever the token; twice in a row with nothing
   * accepted in between means the provider hands out tokens the API will not take
   * (a cache, a wrong audience): back off instead of calling it for every request.
   * Each token counts once, however many requests saw it refused.
   */
  rejected(token: string): void {
    if (token === this.#lastRejected) return
    this.#lastRejected = token
    if (++this.#refusedInARow > 1) this.backoff.fail()
  }

  /** The API took a request (anything but a 401): the tokens we get are good. */
  accepted(): void {
    this.#refusedInARow = 0
  }

  async #fly(clientId: string | undefined, context: AskContext): Promise<RefreshOutcome> {
    const generation = this.#state.generation
    const refused = this.#state.token
    const outcome = await this.#exclusive(async (): Promise<RefreshOutcome | 'nobody'> => {
      await this.#reread()
      if (this.#state.generation !== generation) return 'discarded'
      // Another version of this worker refreshed, or logged out, while we waited for it.
      if (this.#state.token !== refused) return this.#state.token === null ? 'logged-out' : 'refreshed'
      return this.#askAndApply(clientId, context, generation, refused)
    })
    if (outcome !== 'nobody') return outcome
    // Out of the lock: a resource's "nobody" asks the default token's getter, through its own flight.
    if (this.#state.generation !== generation) return 'discarded'
    if (await this.#signOut()) {
      this.backoff.succeed()
      return 'logged-out'
    }
    this.backoff.fail()
    return 'failed'
  }

  async #askAndApply(clientId: string | undefined, context: AskContext, generation: number, refused: string | null): Promise<RefreshOutcome | 'nobody'> {
    const { answer, client } = await this.#askTabs(clientId, context)
    // A DPoP-bound token's proofs are prepared before the checks below, so none goes stale meanwhile.
    const bound = answer.kind === 'token' && answer.key && isBearerToken(answer.token) ? await bindToken(answer.token, answer.key) : null
    await this.#reread()
    if (this.#state.generation !== generation) return 'discarded'
    if (answer.kind === 'token' && answer.token === null) return 'nobody'
    if (answer.kind === 'token' && answer.token !== null && answer.token !== refused && this.#foreign(answer.token)) {
      // Another room's token (the getter ignored `resource`): its audience is another API's.
      this.#tell(client!, {
        code: 'invalid-token',
        message: DEV ? `getAccessToken returned the token of another resource for ${this.#state.resource ?? 'the default token'}; does it pass context.resource to the SDK?` : 'wrong resource',
      })
      this.backoff.fail()
      return 'failed'
    }
    if (answer.kind === 'token' && answer.token === refused && refused !== null) {
      if (context.reason !== 'unauthorized') {
        // The SDK's cache still holds what we hold: nothing changed, nobody needs to hear of it.
        this.backoff.succeed()
        return 'refreshed'
      }
      // The very token the API just refused (an SDK serving its cache despite forceRefresh) is no refresh.
      this.#tell(client!, {
        code: 'stale-token',
        message: DEV ? 'getAccessToken returned the token the API had just refused; is forceRefresh passed to the SDK?' : 'stale token',
      })
    } else if (answer.kind === 'token' && isBearerToken(answer.token) && (bound || (!answer.key && !boundByClaims(answer.token)))) {
      this.backoff.succeed()
      await this.#state.set(answer.token, 'refresh', false, context.forceRefresh, bound)
      this.#brought = { token: answer.token, at: performance.now() }
      return 'refreshed'
    } else if (answer.kind === 'token' && isBearerToken(answer.token)) {
      // Never sent as Bearer instead (RFC 9449 §7.2): the API would refuse it, and should.
      const why = answer.key ? 'a DPoP key that cannot sign proofs (ES256, ES384, ES512, RS*, PS* or EdDSA)' : 'a DPoP-bound token (cnf.jkt) without its key: return { token, type: "DPoP", key }'
      this.#tell(client!, { code: 'invalid-token', message: DEV ? `getAccessToken returned ${why}` : 'invalid DPoP token' })
    }
    this.backoff.fail()
    return 'failed'
  }

  async #askTabs(clientId: string | undefined, context: AskContext): Promise<{ answer: Answer; client?: Client }> {
    for (const client of rank(await this.#tabs(), clientId, this.#sessions)) {
      this.asking = client.id
      const answer = await this.#ask(client, context, this.#timeoutMs).finally(() => (this.asking = undefined))
      if (answer.kind === 'gone') {
        // Frozen or stuck: not first in line next time, until it speaks again.
        this.#sessions.delete(client.id)
        continue
      }
      // It answered, so it runs a session: after a worker restart this is how tabs become known.
      this.knowSession(client)
      return { answer, client }
    }
    return { answer: { kind: 'gone' } }
  }

  /**
   * The tabs to ask. Firefox builds the browser's list from every tab's own main thread, so
   * a tab stuck in a long task holds the list until it is free (measured: 2.7 s for a 3.5 s
   * task). After LIST_WAIT_MS the tabs known from their messages stand in for it, the most
   * recently heard first, each looked up again so that a closed one is not waited out; with
   * none known (a worker that just restarted) the list gets the ack timeout, then nobody is asked.
   */
  async #tabs(): Promise<readonly Client[]> {
    const listed = this.#windows()
    // Looked up meanwhile, not after: the stand-in must not cost more than LIST_WAIT_MS.
    const known = [...this.#sessions.values()].reverse()
    const lookups = known.map((c) => this.#find(c.id).then((found) => found ?? null, () => undefined))
    const first = await within(listed, LIST_WAIT_MS)
    if (first) {
      // Known tabs that are gone from the list closed: forget them.
      const open = new Set(first.map((c) => c.id))
      for (const id of [...this.#sessions.keys()]) if (!open.has(id)) this.#sessions.delete(id)
      return first
    }
    if (known.length === 0) return (await within(listed, this.#timeoutMs)) ?? []
    const found = await Promise.all(lookups.map((lookup) => within(lookup, 0)))
    const tabs: Client[] = []
    known.forEach((client, i) => {
      const now = found[i]
      if (now === null) this.#sessions.delete(client.id) // closed
      else tabs.push(now ?? client) // fresh, or as last heard where the lookup is held too
    })
    return tabs
  }
}

/** How many tabs the worker remembers by their messages; a tab reloaded all day adds one per load. */
const MAX_KNOWN = 32

/** How long a startup ask waits after a flight brought a token (see settlingMs). */
const SDK_STORAGE_SETTLE_MS = 1000

/** How long the browser's tab list may take before the known tabs stand in (it takes ~1 ms). */
const LIST_WAIT_MS = 500

/**
 * How long a tab's SDK may still read what its storage held before the last flight's
 * token reached it. One tab's SDK stored that token; another tab's reads the same
 * storage, but Chromium hands one renderer's localStorage writes to the others
 * asynchronously. Asked for its cached token meanwhile, a late tab's SDK answers the
 * token before (the held one would go back in time) or, seeing that one near expiry,
 * renews it: a second provider call for tabs opened together. Waiting keeps the SDK the
 * source of truth (a tab that signed in as someone else is still asked) without the call.
 */
function settlingMs(brought: { token: string; at: number } | undefined, held: string | null): number {
  if (!brought || brought.token !== held) return 0
  // A monotonic clock: a wall clock set back must not stretch the wait.
  return Math.max(0, brought.at + SDK_STORAGE_SETTLE_MS - performance.now())
}

/** The promise's value, or undefined once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: number | undefined
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms)))
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/**
 * Tabs known to run a session first (a restarted worker knows none yet, and then
 * ranks them all alike), and among them the requesting tab, then focused, then visible.
 */
function rank(windows: readonly Client[], clientId: string | undefined, sessions: ReadonlyMap<string, Client>): Client[] {
  const score = (c: Partial<WindowClient> & Client) =>
    (sessions.has(c.id) ? 8 : 0) + (c.id === clientId ? 4 : 0) + (c.focused ? 2 : 0) + (c.visibilityState === 'visible' ? 1 : 0)
  return [...windows].sort((a, b) => score(b) - score(a))
}
