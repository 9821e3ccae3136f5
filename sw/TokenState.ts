import type { JWTPayload } from 'jose'
import type { ResourceState, SessionState, StateCause } from '../common/protocol.js'
import { isBearerToken } from '../common/bearerToken.js'
import { readClaims } from '../common/claims.js'
import { boundByClaims } from '../common/dpopCredential.js'
import { bindToken, type DpopBinding } from './dpop/binding.js'
import { nameSession, readToken, recordKey, writeToken, type RecordKey } from './tokenStore.js'

// IndexedDB waits without end behind a blocked upgrade (another connection that ignores
// versionchange): every read and write is bounded, and a late one counts as failed.
const STORAGE_TIMEOUT_MS = 5000
// A read-back of what another version stored is only a chance to skip a provider call.
const RESYNC_TIMEOUT_MS = 1000
const timeout = (ms: number) => new Promise<never>((_, reject) => setTimeout(reject, ms))

export interface TokenStateOptions {
  /** The resource (RFC 8707) this token is for; undefined for the default token. */
  resource?: string | undefined
  /**
   * For a resource's token: the default token's sign-in (its `session`), which the resource's
   * token is stored with. Without it this is the default token, which names its own sign-ins.
   */
  sessionOf?: () => string | null
  /** Runs after every read of IndexedDB (load, resync): a resource's token checks its sign-in there. */
  afterRead?: () => void | Promise<void>
  /**
   * Told at once, before the write, when a set ends a sign-in or starts another (see `session`):
   * no request may take a resource's token of the sign-in that ended meanwhile.
   */
  onSession?: () => void
}

/**
 * One token (the default one, or a resource's), kept in memory for the hot path and mirrored
 * to IndexedDB so a restarted worker picks it up. Everything the fetch path reads is a field:
 * no IndexedDB, no parsing per request.
 */
export class TokenState {
  token: string | null = null
  /** `Bearer <token>`, or `DPoP <token>` for a bound one, built once per token rather than once per request. */
  header: string | null = null
  /** For a DPoP-bound token (RFC 9449): its key, signer and `ath`; null for a Bearer token. */
  dpop: DpopBinding | null = null
  claims: JWTPayload | null = null
  /**
   * The issuer's clock minus this browser's, in seconds, as far as tokens tell: a wrong
   * browser clock must not make every token look expired, or none ever expire.
   */
  clockOffset = 0
  /** Bumped by every explicit set or logout: a refresh started before one must not overwrite it. */
  generation = 0
  /** Bumped by every logout: a request sent before one is never resent after it. */
  logouts = 0
  #stamp = 0
  /** When this instance started: a stored stamp older than this predates it (see #adoptStored). */
  #startedAt = Date.now()
  /** Whether IndexedDB has been read (or given up on) since this instance started. */
  loaded = false
  /**
   * Whether the session's state is known: something was stored (a token, or a logout's
   * stamp) or set since. False after the origin's storage was cleared or failed: then
   * "no token" does not mean signed out, and the SDK, the source of truth, must be asked.
   */
  known = false
  /**
   * Which sign-in the token belongs to: a random id the default token takes when someone signs
   * in (a set, or a token after none, or for another `sub`) and keeps across its refreshes; a
   * resource's token is stored with the default's. Null when signed out.
   */
  session: string | null = null
  readonly resource: string | undefined
  #key: RecordKey
  #sessionOf: (() => string | null) | undefined
  #afterRead: () => void | Promise<void>
  #onSession: () => void
  #loading: Promise<void> | undefined
  #resyncing: Promise<void> | undefined
  #onChange: (state: SessionState) => void
  #onWriteError: (error: unknown) => void

  constructor(onChange: (state: SessionState) => void, onWriteError: (error: unknown) => void = () => {}, options: TokenStateOptions = {}) {
    this.#onChange = onChange
    this.#onWriteError = onWriteError
    this.resource = options.resource
    this.#key = recordKey(options.resource)
    this.#sessionOf = options.sessionOf
    this.#afterRead = options.afterRead ?? (() => {})
    this.#onSession = options.onSession ?? (() => {})
  }

  /** Reads IndexedDB once per worker lifetime. */
  load(): Promise<void> {
    this.#loading ??= this.#adoptStored(STORAGE_TIMEOUT_MS)
      .then(() => this.#afterRead())
      .then(() => {
        this.loaded = true
      })
    return this.#loading
  }

  /**
   * Takes what another instance wrote since we loaded: during an update the old and
   * the new worker overlap, and a page may still hand its token to the old one.
   */
  resync(): Promise<void> {
    // One read serves every caller that asks meanwhile (a storm of 401s, say).
    this.#resyncing ??= this.load()
      .then(() => this.#adoptStored(RESYNC_TIMEOUT_MS))
      .then(() => this.#afterRead())
      .finally(() => (this.#resyncing = undefined))
    return this.#resyncing
  }

  /**
   * Holds the stored token if it is newer than memory. Bounded, and a broken database
   * counts as an empty one: requests must not wait on IndexedDB (a blocked upgrade, say).
   */
  async #adoptStored(boundMs: number): Promise<void> {
    const { token, stamp } = await Promise.race([readToken(this.#key), timeout(boundMs)]).catch(() => ({ token: undefined, stamp: 0 }))
    if (stamp <= this.#stamp) return
    const before = this.#stamp
    // A bound token whose key is gone or cannot sign is no token: never sent as Bearer (RFC 9449 §7.2).
    const binding = isBearerToken(token?.token) && token!.key ? await bindToken(token!.token, token!.key) : null
    // A set or logout during that wait came after the read: it wins, whatever the stamps say.
    if (this.#stamp !== before) return
    this.known = true
    // Another version of this worker stored this since we started (a set, a logout, a refresh
    // of its own): a refresh this one still has in flight must not overwrite it. Something
    // stored before we started is only what a late first read missed: no reason to discard the
    // refresh under way, which has already asked the provider (and with rotating refresh tokens,
    // a second flight beside it would reuse the refresh token it spent).
    if (this.loaded && stamp > this.#startedAt) this.generation++
    this.#stamp = stamp
    // Storage is not the page: anything could have written there. Check it like a set,
    // and tell the tabs, which may think they are signed in, when one fails.
    const valid = isBearerToken(token?.token) && (binding !== null || (!token!.key && !boundByClaims(token!.token)))
    this.#hold(valid ? token!.token : null, binding)
    // A default token stored without one (by a version before resources) starts a sign-in of its
    // own: a resource's token stored beside it by a later version is not known to be the same one's.
    this.session = !valid ? null : (token!.session ?? (this.#sessionOf ? null : newSession()))
    // Kept, so the next restart finds the same name, and the resources' tokens stored under it.
    if (valid && !token!.session && !this.#sessionOf) void nameSession(this.#key, stamp, this.session!).catch(() => {})
    if (valid && typeof token!.clockOffset === 'number') this.clockOffset = token!.clockOffset
    if (token && !valid) {
      this.#stamp++
      this.#onChange(this.snapshot('logout'))
    }
  }

  /**
   * Seconds until `exp` (RFC 7519 §4.1.4) on the issuer's clock, or Infinity for opaque
   * tokens and JWTs without one. With `iat` (§4.1.6) as well this is, for a token fresh
   * from the issuer, its lifetime `exp − iat` less the time since it was received.
   */
  secondsLeft(nowMs = Date.now()): number {
    const exp = this.claims?.exp
    return typeof exp === 'number' ? exp - (nowMs / 1000 + this.clockOffset) : Infinity
  }

  /**
   * Learns the clock offset from a token received now. A token issued in this clock's
   * future (`iat − now` above the offset) shows the browser is behind by at least that:
   * no token is younger than it says. The other way is ambiguous (an old token, or a
   * browser ahead), so it is believed only of a token the provider was asked to mint
   * (`fresh`) that would otherwise look expired on arrival, which a new token cannot be.
   */
  #learnClock(fresh: boolean, nowMs = Date.now()): void {
    const { iat, exp } = this.claims ?? {}
    if (typeof iat !== 'number' || typeof exp !== 'number') return
    const sample = iat - nowMs / 1000
    if (sample > this.clockOffset || (fresh && this.secondsLeft(nowMs) <= 0)) this.clockOffset = sample
  }

  /** What the tabs are told of a resource's token; its stamp is its own. */
  resourceSnapshot(): ResourceState {
    return { claims: this.claims, hasToken: this.token !== null, stamp: this.#stamp }
  }

  /**
   * Drops the token at once, for a sign-in that ended elsewhere: `signedOut` (a logout), or a
   * sign-in of someone else, after which this token is fetched again on its next use (`known`
   * false). A refresh in flight is discarded either way.
   */
  drop(signedOut: boolean): Promise<void> {
    this.generation++
    if (signedOut) this.logouts++
    const already = this.token === null && this.known === signedOut
    this.#hold(null)
    this.session = null
    this.known = signedOut
    if (already) return Promise.resolve()
    this.#stamp = Math.max(Date.now(), this.#stamp + 1)
    return this.#store(this.snapshot(signedOut ? 'logout' : 'set'))
  }

  snapshot(cause: StateCause): SessionState {
    return { claims: this.claims, hasToken: this.token !== null, stamp: this.#stamp, cause }
  }

  /**
   * Replaces the token in memory at once, then in IndexedDB, then tells every tab.
   * `explicit` marks a set or logout a person asked for, which outranks any refresh
   * still in flight; `fresh` a token the provider was asked to mint (forceRefresh).
   */
  async set(token: string | null, cause: StateCause, explicit: boolean, fresh = false, dpop: DpopBinding | null = null): Promise<SessionState> {
    await this.load()
    if (explicit) this.generation++
    if (token === null) this.logouts++
    // Signed out already: nothing to store, and no tab should hear of it again. Unless
    // storage was lost: tabs may still think they are signed in, and must hear otherwise.
    if (token === null && this.token === null && this.known) return this.snapshot(cause)
    const before = this.claims
    const previous = { token: this.token, session: this.session }
    this.known = true
    this.#hold(token, dpop)
    this.#learnClock(fresh)
    // Without a `sub` either side, who signed in shows only in a token the worker did not ask to
    // replace: the SDK's answer at a tab's start (an account switch at the provider, say).
    const anotherUser = before?.sub !== this.claims?.sub || (!fresh && before?.sub === undefined && token !== previous.token)
    this.session = this.#sessionOf ? this.#sessionOf() : nextSession(this.session, explicit, token, anotherUser)
    if (this.session !== previous.session || token === null) this.#onSession()
    this.#stamp = Math.max(Date.now(), this.#stamp + 1)
    const state = this.snapshot(cause)
    await this.#store(state)
    return state
  }

  async #store(state: SessionState): Promise<void> {
    try {
      const write = writeToken(this.token, state.stamp, this.clockOffset, this.#key, this.session ?? undefined, this.dpop?.key)
      await Promise.race([write, timeout(STORAGE_TIMEOUT_MS)])
    } catch (error) {
      // Memory still holds it and the next successful write will persist it; but a worker
      // restarted meanwhile will not have it, so the app hears of it.
      this.#onWriteError(error)
    }
    this.#onChange(state)
  }

  #hold(token: string | null, dpop: DpopBinding | null = null): void {
    this.token = token
    this.dpop = token === null ? null : dpop
    this.header = token === null ? null : `${this.dpop ? 'DPoP' : 'Bearer'} ${token}`
    this.claims = token === null ? null : readClaims(token)
  }
}

const newSession = () => crypto.randomUUID()

/**
 * The default token's sign-in after a set: a new one when someone signs in (a set a person
 * asked for, a token after none, a token of another user), the same across a refresh.
 */
function nextSession(current: string | null, explicit: boolean, token: string | null, anotherUser: boolean): string | null {
  if (token === null) return null
  return explicit || current === null || anotherUser ? newSession() : current
}
