import type { RefreshReason } from '../common/protocol.js'
import type { Refresher } from './Refresher.js'
import type { TokenState } from './TokenState.js'

/**
 * Refreshes a JWT before it expires, so the API never sees it expired. If a fresh
 * token still looks expired, this clock disagrees with the issuer's (or the issuer
 * hands out tokens shorter than the leeway): stop refreshing ahead of time, which
 * would call the provider on every request, and leave it to the 401 path until a
 * token that does not look expired shows the clocks agree again.
 */
export class ExpiryGuard {
  #clockSuspect = false
  #state: TokenState
  #refresher: Refresher
  #leewaySeconds: number

  constructor(state: TokenState, refresher: Refresher, leewaySeconds: number) {
    this.#state = state
    this.#refresher = refresher
    this.#leewaySeconds = leewaySeconds
  }

  /** Synchronous, so the hot path awaits nothing when no refresh is due. */
  due(): boolean {
    if (this.#state.token === null) return false
    if (this.#state.secondsLeft() > this.#leewaySeconds) {
      this.#clockSuspect = false
      return false
    }
    return !this.#clockSuspect
  }

  async check(clientId: string | undefined, reason: RefreshReason = 'expiring'): Promise<void> {
    if (!this.due()) return
    const generation = this.#state.generation
    const held = this.#state.token
    const outcome = await this.#refresher.run({ clientId, reason })
    // Judge the token this refresh brought, not one a person set while we waited, nor the
    // held one handed back from the SDK's cache (a flight it joined was not forced): that
    // says nothing of the clocks, and believing it stopped every refresh ahead of time,
    // so tabs starting next asked their SDK without force (Okta then renewed by itself).
    if (outcome === 'refreshed' && this.#state.token !== held && this.#state.generation === generation && this.#state.secondsLeft() <= this.#leewaySeconds) {
      this.#clockSuspect = true
    }
  }
}
