/**
 * Exponential backoff for a failing provider (Privy and others ask for it): after
 * n consecutive failures the next attempt waits base·2^(n-1), capped; a success resets.
 */
export class Backoff {
  /** Consecutive failures so far. */
  failures = 0
  #notBefore = 0

  constructor(
    readonly baseMs = 1000,
    readonly capMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when an attempt may start now. */
  ready(): boolean {
    return this.now() >= this.#notBefore
  }

  fail(): void {
    this.failures++
    this.#notBefore = this.now() + Math.min(this.capMs, this.baseMs * 2 ** (this.failures - 1))
  }

  succeed(): void {
    this.failures = 0
    this.#notBefore = 0
  }
}
