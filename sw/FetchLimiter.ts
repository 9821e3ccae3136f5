/// <reference lib="webworker" />

/**
 * What to send once a slot is free: a request; one still being made in the slot (`{ ready }`: a
 * DPoP proof being signed for the token taken then); "not yet" (a promise to wait for); or
 * "no longer" (null).
 */
type Build = () => Request | { ready: Promise<Request> } | Promise<unknown> | null

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

  /**
   * Sends the request `build` returns, once a slot is free. Built then, not when queued:
   * a request that waited behind a storm goes with the token current when it leaves,
   * not one refused meanwhile. `build` may instead return a promise, to say "not yet":
   * the slot goes to the next request, and this one queues again once it settles; or
   * null, to say "no longer": nothing is sent, and this resolves with null.
   * Not async on purpose: below the cap the request starts at once.
   */
  fetch(build: Build): Promise<Response | null> {
    if (this.#active < this.#limit) {
      this.#active++
      return this.#send(build)
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#send(build))
  }

  #send(build: Build): Promise<Response | null> {
    let built: ReturnType<Build>
    try {
      built = build()
    } catch (error) {
      this.#release()
      return Promise.reject(error)
    }
    if (built !== null && !(built instanceof Request) && 'ready' in built) {
      const response = built.ready.then((request) => fetch(request))
      response.then(this.#release, this.#release)
      return response
    }
    if (!(built instanceof Request)) {
      this.#release()
      return built === null ? Promise.resolve(null) : built.then(() => this.fetch(build))
    }
    const response = fetch(built)
    response.then(this.#release, this.#release)
    return response
  }
}
