/// <reference lib="webworker" />
import { isBearerToken } from '../common/bearerToken.js'
import type { RefreshReason } from '../common/protocol.js'
import { askClient, type Answer } from './askClient.js'
import { Backoff } from './Backoff.js'
import { scopeWindows } from './broadcast.js'
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
  /** A person asked (session.refresh()): runs even when logged out or backing off. */
  force?: boolean
}

export interface RefresherDeps {
  timeoutMs: number
  ask?: (client: Client, reason: RefreshReason, timeoutMs: number) => Promise<Answer>
  windows?: () => Promise<readonly WindowClient[]>
  backoff?: Backoff
}

/**
 * One refresh at a time for the whole origin. The worker serves every tab, so
 * this single flight is what makes N concurrent 401s in M tabs cost one call to
 * the provider.
 */
export class Refresher {
  readonly backoff: Backoff
  #flight: Promise<RefreshOutcome> | undefined
  #flightGeneration = -1
  #lastRejected: string | undefined
  #refusedInARow = 0
  /**
   * The tab running getAccessToken right now. Its own requests, the SDK's calls among
   * them, must not wait for this refresh: it is waiting for them.
   */
  asking: string | undefined
  /** Tabs that have spoken the protocol, so surely run a session that can refresh. */
  #sessions = new Set<string>()
  #state: TokenState
  #timeoutMs: number
  #ask: NonNullable<RefresherDeps['ask']>
  #windows: NonNullable<RefresherDeps['windows']>

  constructor(state: TokenState, deps: RefresherDeps) {
    this.#state = state
    this.#timeoutMs = deps.timeoutMs
    this.#ask = deps.ask ?? askClient
    this.#windows = deps.windows ?? scopeWindows
    this.backoff = deps.backoff ?? new Backoff()
  }

  /**
   * The refresh under way, if any: requests that need a token wait for it. One
   * started before the latest set or logout does not count: its result will be
   * discarded, so nobody should wait for it or join it.
   */
  get inFlight(): Promise<RefreshOutcome> | undefined {
    return this.#flightGeneration === this.#state.generation ? this.#flight : undefined
  }

  run(request: RefreshRequest): Promise<RefreshOutcome> {
    const current = this.inFlight
    if (current) return current
    if (!request.force) {
      // After a logout nobody calls the provider until a token is set again.
      if (this.#state.token === null) return Promise.resolve('logged-out')
      if (!this.backoff.ready()) return Promise.resolve('failed')
    }
    const flight = this.#fly(request).finally(() => {
      if (this.#flight === flight) this.#flight = undefined
    })
    this.#flight = flight
    this.#flightGeneration = this.#state.generation
    return flight
  }

  /**
   * Notes a tab that runs a session. A page in scope that never registered (a static
   * help page, say) would only be waited out; tabs known to hold a session go first.
   */
  knowSession(clientId: string): void {
    this.#sessions.add(clientId)
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

  async #fly(request: RefreshRequest): Promise<RefreshOutcome> {
    const generation = this.#state.generation
    const refused = this.#state.token
    const answer = await this.#askTabs(request)
    if (this.#state.generation !== generation) return 'discarded'
    if (answer.kind === 'token' && answer.token === null) {
      this.backoff.succeed()
      await this.#state.set(null, 'logout', true)
      return 'logged-out'
    }
    // After a 401, the very token the API just refused (an SDK serving its cache) is no refresh.
    const unchanged = request.reason === 'unauthorized' && answer.kind === 'token' && answer.token === refused
    if (answer.kind === 'token' && isBearerToken(answer.token) && !unchanged) {
      this.backoff.succeed()
      await this.#state.set(answer.token, 'refresh', false)
      return 'refreshed'
    }
    this.backoff.fail()
    return 'failed'
  }

  async #askTabs({ clientId, reason }: RefreshRequest): Promise<Answer> {
    // Ids of closed tabs stay in #sessions until the worker next stops: a few bytes each.
    for (const client of rank(await this.#windows(), clientId, this.#sessions)) {
      this.asking = client.id
      const answer = await this.#ask(client, reason, this.#timeoutMs).finally(() => (this.asking = undefined))
      if (answer.kind === 'gone') {
        // Frozen or stuck: not first in line next time, until it speaks again.
        this.#sessions.delete(client.id)
        continue
      }
      // It answered, so it runs a session: after a worker restart this is how tabs become known.
      this.knowSession(client.id)
      return answer
    }
    return { kind: 'gone' }
  }
}

/**
 * Tabs known to run a session first (a restarted worker knows none yet, and then
 * ranks them all alike), and among them the requesting tab, then focused, then visible.
 */
function rank(windows: readonly WindowClient[], clientId: string | undefined, sessions: ReadonlySet<string>): WindowClient[] {
  const score = (c: WindowClient) =>
    (sessions.has(c.id) ? 8 : 0) + (c.id === clientId ? 4 : 0) + (c.focused ? 2 : 0) + (c.visibilityState === 'visible' ? 1 : 0)
  return [...windows].sort((a, b) => score(b) - score(a))
}
