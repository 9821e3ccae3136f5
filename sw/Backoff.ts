/**
 * Exponential backoff for a failing provider (Privy and others ask for it): after
 * n consecutive failures the next attempt waits base·2^(n-1), capped; a success resets.
 */
export class Backoff {
  /** Consecutive failures so far. */
  failures = 0
  #notBefore = 0
  #baseMs: number
  #capMs: number
  #now: () => number

  constructor(baseMs = 1000, capMs = 60_000, now: () => number = Date.now) {
    this.#baseMs = baseMs
    this.#capMs = capMs
    this.#now = now
  }

  /** True when an attempt may start now. */
  ready(): boolean {
    return this.#now() >= this.#notBefore
  }

  fail(): void {
    this.failures++
    this.#notBefore = this.#now() + Math.min(this.#capMs, this.#baseMs * 2 ** (this.failures - 1))
  }

  succeed(): void {
    this.failures = 0
    this.#notBefore = 0
  }
}
