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
  #release = () => {
    const next = this.#waiting.shift()
    if (next) next() // the slot is handed over
    else this.#active--
  }

  #limit: number

  constructor(limit = 256) {
    this.#limit = limit
  }

  /** Not async on purpose: below the cap the request starts at once, with no extra tick. */
  fetch(request: Request): Promise<Response> {
    if (this.#active < this.#limit) {
      this.#active++
      return this.#send(request)
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#send(request))
  }

  #send(request: Request): Promise<Response> {
    const response = fetch(request)
    response.then(this.#release, this.#release)
    return response
  }
}
