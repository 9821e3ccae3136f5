/// <reference lib="webworker" />

/**
 * Caps the fetches this worker has in flight. One worker sends for every tab, and
 * Chromium fails a process's requests outright ("Failed to fetch") once it has too
 * many outstanding — 5 tabs × 400 requests were enough to lose a third of them —
 * where the same requests from five pages would simply queue. Queueing here costs
 * nothing below the cap: the browser runs only a handful of connections per host.
 */
export class FetchLimiter {
  #active = 0
  #waiting: Array<() => void> = []

  constructor(readonly limit = 256) {}

  async fetch(request: Request): Promise<Response> {
    if (this.#active < this.limit) this.#active++
    else await new Promise<void>((resolve) => this.#waiting.push(resolve)) // a slot is handed over
    try {
      return await fetch(request)
    } finally {
      const next = this.#waiting.shift()
      if (next) next()
      else this.#active--
    }
  }
}
