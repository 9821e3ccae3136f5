/**
 * @typedef {'login' | 'token' | 'refresh' | 'refused' | 'revoked' | 'injected' | 'unauthorized' | 'retry' | 'revoke' | 'error'} ActivityKind
 * @typedef {{ seq: number, at: number, source: 'provider' | 'api', kind: ActivityKind, text: string }} ActivityEvent
 * @typedef {{ providerCalls: number, refreshGrants: number, invalidGrants: number, apiRequests: number, injected: number, unauthorized: number, retries: number }} Counters
 */

const KEEP = 200

/**
 * What the OpenID Provider and the API saw, as the page's live log shows it. The service
 * worker itself is not instrumented: everything here is observed from the outside,
 * at the two servers a real deployment would have.
 */
export class Activity {
  /** @type {ActivityEvent[]} */
  #events = []
  #seq = 0
  /** @type {Counters} */
  counters = { providerCalls: 0, refreshGrants: 0, invalidGrants: 0, apiRequests: 0, injected: 0, unauthorized: 0, retries: 0 }
  #onEvent

  /** @param {(event: ActivityEvent) => void} [onEvent] also told about each event, e.g. to print it */
  constructor(onEvent = () => {}) {
    this.#onEvent = onEvent
  }

  /**
   * @param {ActivityEvent['source']} source
   * @param {ActivityKind} kind
   * @param {string} text
   */
  add(source, kind, text) {
    const event = { seq: ++this.#seq, at: Date.now(), source, kind, text }
    this.#events.push(event)
    this.#onEvent(event)
    if (this.#events.length > KEEP) this.#events.splice(0, this.#events.length - KEEP)
  }

  /**
   * Events after `seq`; without one, the most recent few, so a new tab has context.
   * @param {number | undefined} seq
   */
  since(seq, recent = 12) {
    const events = seq === undefined ? this.#events.slice(-recent) : this.#events.filter((e) => e.seq > seq)
    return { seq: this.#seq, events, counters: { ...this.counters } }
  }
}
