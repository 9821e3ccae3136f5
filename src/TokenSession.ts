import type { JWTPayload } from 'jose'
import { assertBearerToken } from '../common/bearerToken.js'
import { SwBearerError } from '../common/errors.js'
import { pageMessage, parseWorkerMessage, refreshAnswer, type PageMessage, type SessionState } from '../common/protocol.js'
import { postToWorker, type Reply } from './postToWorker.js'

/** What the app hands over: its auth SDK's getter. null or undefined means signed out. */
export type GetAccessToken = () => Promise<string | null | undefined>

export interface TokenChangeDetail {
  claims: JWTPayload | null
}
export interface ErrorDetail {
  error: unknown
}
export interface TokenSessionEventMap {
  tokenchange: CustomEvent<TokenChangeDetail>
  logout: CustomEvent<null>
  error: CustomEvent<ErrorDetail>
}

// Generous on purpose: a worker serving a storm of 1000 requests answers late, not never.
const MESSAGE_TIMEOUT_MS = 30_000
const REFRESH_TIMEOUT_MS = 120_000
/** The worker's default refreshTimeoutMs, for a worker that does not say its own. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000

// Every session in this tab hears the same request; one answer is all the worker wants
// (an app that registers twice, as React's StrictMode effects do, must not call its SDK twice).
const answered = new WeakSet<MessagePort>()

/**
 * This tab's view of the one session the service worker holds for the origin.
 * Its events fire in every tab, whichever tab or refresh caused the change.
 */
export class TokenSession extends EventTarget {
  #claims: JWTPayload | null = null
  #hasToken = false
  #stamp = -1
  #getAccessToken: GetAccessToken
  #worker: () => ServiceWorker | null
  #providerCall: Promise<string | null> | undefined

  /** @internal Made by registerTokenServiceWorker. */
  constructor(getAccessToken: GetAccessToken, worker: () => ServiceWorker | null) {
    super()
    this.#getAccessToken = getAccessToken
    this.#worker = worker
  }

  /** The current token's claims, decoded but not verified; null when signed out or opaque. */
  get claims(): JWTPayload | null {
    return this.#claims
  }

  /** Whether the worker holds a token: tells a signed-in opaque token (claims null) from signed out. */
  get hasToken(): boolean {
    return this.#hasToken
  }

  /** Hands a token to the worker; resolves once it is held in memory and IndexedDB. */
  async setToken(token: string): Promise<void> {
    assertBearerToken(token)
    this.applyState((await this.post(pageMessage('set-token', { token }))).state)
  }

  /**
   * Runs getAccessToken now, through the worker's single flight (a refresh already
   * under way in any tab is joined, not repeated), and returns the token it got.
   */
  async refresh(): Promise<string | null> {
    const reply = await this.post(pageMessage('refresh', {}), REFRESH_TIMEOUT_MS)
    this.applyState(reply.state)
    return reply.token ?? null
  }

  /** Clears the token everywhere; a refresh that finishes later is discarded. */
  async logout(): Promise<void> {
    this.applyState((await this.post(pageMessage('logout', {}))).state)
  }

  /** @internal */
  post(message: PageMessage, timeoutMs = MESSAGE_TIMEOUT_MS): Promise<Reply> {
    const worker = this.#worker()
    if (!worker) return Promise.reject(new SwBearerError('registration-failed', 'The service worker is gone'))
    return postToWorker(worker, message, timeoutMs)
  }

  /** @internal Listens on navigator.serviceWorker. */
  readonly receive = (event: MessageEvent): void => {
    const message = parseWorkerMessage(event.data)
    if (message?.type === 'state') this.applyState(message.state)
    const port = event.ports[0]
    if (message?.type === 'refresh-request' && port && !answered.has(port)) {
      answered.add(port)
      void this.#answerRefresh(port, message.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS)
    }
  }

  /** @internal A reply and a broadcast may carry the same state: apply each stamp once. */
  applyState(state: SessionState): void {
    if (state.stamp <= this.#stamp) return
    const first = this.#stamp < 0
    const hadToken = this.#hasToken
    this.#stamp = state.stamp
    this.#claims = state.claims
    this.#hasToken = state.hasToken
    // A call started before someone set a token or signed out belongs to the session
    // that ended: a later refresh must ask the SDK afresh, not take its answer.
    if (state.cause === 'set' || state.cause === 'logout') this.#providerCall = undefined
    if (first) return
    this.dispatchEvent(new CustomEvent('tokenchange', { detail: { claims: state.claims } }))
    if (!state.hasToken && hadToken) {
      this.dispatchEvent(new CustomEvent('logout', { detail: null }))
    }
  }

  /** @internal Reports a failure without throwing into the app. */
  reportError(error: unknown): void {
    this.dispatchEvent(new CustomEvent('error', { detail: { error } }))
  }

  /**
   * @internal Calls getAccessToken, once at a time per tab. Failures come out as
   * `provider-failed` (the SDK's error as `cause`), `invalid-token`, or `timeout`
   * after `timeoutMs`: then the call is abandoned, so the next one asks the SDK
   * again instead of joining a call that may never settle.
   */
  callProvider(timeoutMs: number): Promise<string | null> {
    let call = this.#providerCall
    if (!call) {
      call = this.#providerCall = this.#askProvider()
      // Forget it once settled; only after the assignment above, or a getter that
      // throws synchronously would leave its rejection here for good.
      const forget = () => this.#forget(call!)
      call.then(forget, forget)
    }
    return withTimeout(call, timeoutMs, () => this.#forget(call))
  }

  #forget(call: Promise<string | null>): void {
    if (this.#providerCall === call) this.#providerCall = undefined
  }

  async #askProvider(): Promise<string | null> {
    let token: unknown
    try {
      token = (await this.#getAccessToken()) ?? null
    } catch (error) {
      throw new SwBearerError('provider-failed', `getAccessToken failed: ${describe(error)}`, { cause: error })
    }
    if (token !== null) assertBearerToken(token)
    return token as string | null
  }

  async #answerRefresh(port: MessagePort, timeoutMs: number): Promise<void> {
    port.postMessage(refreshAnswer('refresh-ack', {}))
    try {
      port.postMessage(refreshAnswer('refresh-result', { token: await this.callProvider(timeoutMs) }))
    } catch (error) {
      const failure = error as SwBearerError
      port.postMessage(refreshAnswer('refresh-error', { error: failure.toWire() }))
      this.reportError(failure)
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout()
      reject(new SwBearerError('timeout', `getAccessToken did not settle within ${ms} ms`))
    }, ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : typeof error
}

export interface TokenSession {
  addEventListener<K extends keyof TokenSessionEventMap>(
    type: K,
    listener: (this: TokenSession, event: TokenSessionEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void
  removeEventListener<K extends keyof TokenSessionEventMap>(
    type: K,
    listener: (this: TokenSession, event: TokenSessionEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void
}
