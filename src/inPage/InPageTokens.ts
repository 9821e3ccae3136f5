import type { JWTPayload } from 'jose'
import { isBearerToken } from '../../common/bearerToken.js'
import { boundByClaims } from '../../common/dpopCredential.js'
import { readClaims } from '../../common/claims.js'
import { isSwBearerError, SwBearerError } from '../../common/errors.js'
import type { RefreshReason, SessionState, StateCause } from '../../common/protocol.js'
import type { GetAccessTokenContext } from '../TokenSession.js'
import { peerChannel, type PeerChannel } from './peerChannel.js'

export interface InPageTokensOptions {
  /** Names this app's channel and lock: another app on the origin, under another scope, has its own session. */
  scope: string
  /** The session's getter, with its timeout and per-tab single flight (TokenSession.callProvider). */
  callProvider: (context: GetAccessTokenContext, timeoutMs: number) => Promise<string | null>
  onState: (state: SessionState) => void
  onError: (error: SwBearerError) => void
  /** JWTs expiring within this many seconds are refreshed before they are sent (the worker's default). */
  leewaySeconds?: number
  providerTimeoutMs?: number
  /**
   * A worker that serves other tabs of this app, when there is one: refreshes for a refused or
   * due token go through its single flight, so this tab and those make one provider call.
   */
  renew?: () => Renew | undefined
}

/** Asks the worker for a token newer than `held`, refreshing if it holds that one too. */
export type Renew = (held: string | null, reason: 'unauthorized' | 'expiring' | 'visible') => Promise<string | null>

type Outcome = 'refreshed' | 'logged-out' | 'failed'

/**
 * How long a request waits for this tab's own provider call before it goes without a token:
 * it may be the SDK's own token request, which that call is waiting for (the worker's rule).
 */
const OWN_REFRESH_WAIT_MS = 1000
const LOCK = 'sw-bearer:in-page-refresh'
/** How long tabs without Web Locks listen for each other before one calls the provider. */
const ELECTION_MS = 80

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * The session when no service worker can hold it: the token in this tab's memory only (nothing
 * persisted beyond what the SDK keeps), shared with the other tabs over a BroadcastChannel, and
 * one refresh at a time across them under a Web Lock (where `navigator.locks` exists; else the
 * tabs elect one over that channel). The same rules as the worker's: refresh ahead of `exp`, one refresh for a 401, a
 * logout that outranks any refresh still in flight.
 */
export class InPageTokens {
  #token: string | null = null
  #claims: JWTPayload | null = null
  #stamp = 0
  /** Bumps whenever the token changes, from whichever tab. */
  #generation = 0
  #logouts = 0
  /** Bumps on every set or logout a person asked for: a refresh in flight then is discarded. */
  #explicit = 0
  #clockOffset = 0
  #clockSuspect = false
  #flight: Promise<Outcome> | undefined
  /** True while this tab's getter runs (not while it waits for the lock). */
  #calling = false
  #peers: PeerChannel
  #options: Required<InPageTokensOptions>

  constructor(options: InPageTokensOptions) {
    this.#options = { leewaySeconds: 30, providerTimeoutMs: 10_000, renew: () => undefined, ...options }
    this.#peers = peerChannel(`sw-bearer:${options.scope}`, {
      token: (token) => {
        if (token !== this.#token) this.#adopt(token, 'refresh')
      },
      logout: () => {
        this.#explicit++
        this.#adopt(null, 'logout')
      },
    })
  }

  get token(): string | null {
    return this.#token
  }

  get logouts(): number {
    return this.#logouts
  }

  /** Stops listening to the other tabs: the worker holds the session now. */
  close(): void {
    this.#peers.close()
  }

  snapshot(cause: StateCause): SessionState {
    return { claims: this.#claims, hasToken: this.#token !== null, stamp: this.#stamp, cause }
  }

  /** Seconds until `exp` (RFC 7519 §4.1.4) on the issuer's clock; Infinity without one. */
  secondsLeft(nowMs = Date.now()): number {
    const exp = this.#claims?.exp
    return typeof exp === 'number' ? exp - (nowMs / 1000 + this.#clockOffset) : Infinity
  }

  /** Synchronous, so the hot path awaits nothing when no refresh is due. */
  due(): boolean {
    if (this.#token === null) return false
    if (this.secondsLeft() > this.#options.leewaySeconds) {
      this.#clockSuspect = false
      return false
    }
    return !this.#clockSuspect
  }

  /** Nothing to wait for: no refresh under way or due. */
  calm(): boolean {
    return !this.#flight && !this.due()
  }

  /** Waits until the token may be sent. True when the request must go without one (see OWN_REFRESH_WAIT_MS). */
  async ready(): Promise<boolean> {
    if (this.#flight) {
      if (!this.#calling) await this.#flight
      else {
        await Promise.race([this.#flight, pause(OWN_REFRESH_WAIT_MS)])
        if (this.#calling) return true
      }
    }
    if (this.due()) {
      const held = this.#token
      const generation = this.#generation
      const flight = this.run({ reason: 'expiring', forceRefresh: true })
      await Promise.race([flight, pause(OWN_REFRESH_WAIT_MS)])
      if (this.#calling) return true
      await flight
      // A new token that still looks expired says this clock disagrees with the issuer's:
      // stop refreshing ahead (every request would call the provider) until one does not.
      if (this.#token !== held && this.#generation === generation + 1 && this.secondsLeft() <= this.#options.leewaySeconds) {
        this.#clockSuspect = true
      }
    }
    return false
  }

  /**
   * After an API origin answered 401 to `sent` (null: sent bare during this tab's refresh):
   * one refresh for every tab, unless the token already changed. True when a retry with the
   * current token is worth sending, which is never after a logout.
   */
  async recover(sent: string | null, logouts: number): Promise<boolean> {
    if (sent === null) {
      if (this.#flight) await this.#flight
    } else if (this.#token === sent) {
      await this.run({ reason: 'unauthorized', forceRefresh: true })
      if (this.#token === sent) {
        this.#options.onError(new SwBearerError('stale-token', 'getAccessToken returned the token the API had just refused; is the SDK serving its cache?'))
      }
    }
    return this.#token !== null && this.#token !== sent && this.#logouts === logouts
  }

  /** One provider call for this tab's callers, and (with Web Locks) for every tab's. */
  run({ reason, forceRefresh }: { reason: RefreshReason; forceRefresh: boolean }): Promise<Outcome> {
    this.#flight ??= this.#fly(reason, forceRefresh).finally(() => (this.#flight = undefined))
    return this.#flight
  }

  async set(token: string | null, cause: 'set' | 'logout'): Promise<SessionState> {
    this.#explicit++
    this.#adopt(token, cause)
    if (token === null) this.#peers.logout()
    else this.#peers.token(token)
    return this.snapshot(cause)
  }

  async #fly(reason: RefreshReason, forceRefresh: boolean): Promise<Outcome> {
    const renewable = reason === 'unauthorized' || reason === 'expiring' || reason === 'visible' ? reason : undefined
    const renew = renewable && this.#options.renew()
    return (renew && (await this.#renew(renew, renewable))) || this.#flyHere(reason, forceRefresh)
  }

  /** Through the worker's flight; undefined when it did not answer (this tab then asks its own SDK). */
  async #renew(renew: Renew, reason: 'unauthorized' | 'expiring' | 'visible'): Promise<Outcome | undefined> {
    const explicit = this.#explicit
    let token: string | null
    try {
      token = await renew(this.#token, reason)
    } catch (error) {
      // The provider failed in the tab the worker asked, which said why: asking again would not help.
      return isSwBearerError(error) && error.code === 'provider-failed' ? 'failed' : undefined
    }
    if (this.#explicit !== explicit) return this.#token === null ? 'logged-out' : 'refreshed'
    // No token there says nothing of this tab's session (a logout arrives as a logout): ask here.
    // The page sends Bearer only: a DPoP-bound token (cnf.jkt) from the worker is no use here.
    if (token === null || !isBearerToken(token) || boundByClaims(token)) return undefined
    if (token !== this.#token) {
      this.#adopt(token, 'refresh')
      this.#peers.token(token)
    }
    return 'refreshed'
  }

  #flyHere(reason: RefreshReason, forceRefresh: boolean): Promise<Outcome> {
    const generation = this.#generation
    const explicit = this.#explicit
    const work = async (): Promise<Outcome> => {
      // Another tab refreshed while this one waited for the lock: its token is ours too.
      if (this.#generation !== generation) return 'refreshed'
      // It may have finished just now, its token still on the way (a lock and a message travel apart).
      if (await this.#peers.settled(250)) {
        if (this.#generation !== generation) return 'refreshed'
      }
      this.#peers.refreshing(true)
      this.#calling = true
      try {
        const token = await this.#options.callProvider({ reason, forceRefresh }, this.#options.providerTimeoutMs)
        // A logout or a set token while the provider worked outranks its answer.
        if (this.#explicit !== explicit) return this.#token === null ? 'logged-out' : 'refreshed'
        if (token !== null && !isBearerToken(token)) throw new SwBearerError('invalid-token', 'getAccessToken returned an invalid token')
        if (token === null) {
          this.#adopt(null, 'logout')
          this.#peers.logout()
          return 'logged-out'
        }
        if (token !== this.#token) {
          this.#adopt(token, 'refresh')
          this.#peers.token(token)
        }
        return 'refreshed'
      } catch (error) {
        this.#options.onError(error as SwBearerError)
        return 'failed'
      } finally {
        this.#calling = false
        this.#peers.refreshing(false)
      }
    }
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
    if (locks) return locks.request(`${LOCK}:${this.#options.scope}`, work)
    // No Web Locks (they need a secure context, which the fallback often lacks): the tabs elect one.
    return (async () => {
      if (!(await this.#peers.elect(ELECTION_MS))) {
        await this.#peers.outcome(this.#options.providerTimeoutMs + ELECTION_MS)
        if (this.#generation !== generation) return 'refreshed'
      }
      return work()
    })()
  }

  #adopt(token: string | null, cause: StateCause): void {
    if (token === this.#token && cause !== 'logout') return
    if (cause === 'logout') this.#logouts++
    this.#token = token
    this.#claims = token === null ? null : readClaims(token)
    this.#generation++
    this.#stamp++
    this.#learnClock()
    this.#options.onState(this.snapshot(cause))
  }

  /** A token issued in this clock's future (`iat`, RFC 7519 §4.1.6) shows the browser is behind. */
  #learnClock(nowMs = Date.now()): void {
    const iat = this.#claims?.iat
    if (typeof iat === 'number' && iat - nowMs / 1000 > this.#clockOffset) this.#clockOffset = iat - nowMs / 1000
  }
}
