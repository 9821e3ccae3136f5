import type { JWTPayload } from 'jose'
import { assertBearerBound, readCredential, type DpopCredential } from '../common/dpopCredential.js'
import type { Decision, SkipReason } from '../common/decision.js'
import { fromWire, SwBearerError } from '../common/errors.js'
import {
  pageMessage,
  parseWorkerMessage,
  refreshAnswer,
  type PageMessage,
  type RefreshReason,
  type SessionState,
} from '../common/protocol.js'
import { printDecision, worthReporting } from './debugOutput.js'
import type { InPageMode } from './inPage/inPageMode.js'
import { postToWorker, type Reply } from './postToWorker.js'
import { ResourceStates, type ResourceChangeDetail, type ResourceView } from './resources/ResourceStates.js'

export type { RefreshReason }

/**
 * What sw-bearer tells the getter about the call.
 * - `reason`: see {@link RefreshReason}.
 * - `forceRefresh`: true when the token sw-bearer holds is known to be refused by the
 *   API or due to expire, so a cached token will not do: ask the authorization server
 *   (e.g. Auth0 `cacheMode: 'off'`, Firebase `getIdToken(true)`). False when a cached
 *   token the SDK still considers valid is fine (`startup` with a good token held).
 */
export interface GetAccessTokenContext {
  reason: RefreshReason
  forceRefresh: boolean
  /**
   * The resource (RFC 8707 resource indicator; Auth0's `audience`) the token is for, as listed
   * in the worker's `apiOrigins` (`{ origin, resource }`); `undefined` for the default token.
   * A getter for an SDK that holds one token per resource passes it on (see sw-bearer/adapters).
   */
  resource?: string | undefined
}

/**
 * What the app hands over: its auth SDK's getter. Resolves with an access token
 * (a header-safe string, RFC 6750 §2.1 b64token, sent as Bearer), a DPoP-bound one
 * (`{ token, type: 'DPoP', key }`, RFC 9449: the worker signs a proof per request with
 * `key`, whose private key must be non-extractable), or null/undefined when nobody is
 * signed in. Getters that ignore the context keep working, though the 401 path then
 * depends on the SDK noticing by itself that its cached token is bad.
 * Called through the worker's single flight: at most one call at a time across all tabs.
 */
export type GetAccessToken = (context: GetAccessTokenContext) => Promise<string | DpopCredential | null | undefined>

/** What a getter's answer comes to: the token, and the key a DPoP-bound one is bound to. */
type Credential = { token: string; key?: CryptoKeyPair } | null

export interface TokenChangeDetail {
  claims: JWTPayload | null
}
/** What an `error` event carries: always a SwBearerError, whose `code` says what failed. */
export interface ErrorDetail {
  error: SwBearerError
  /** The resource whose getter call failed (see `resource()`); absent for the default token. */
  resource?: string
}
/**
 * Where the session runs: `service-worker`, the worker adds the token to this page's requests;
 * `in-page`, the worker could not (see `registerTokenServiceWorker`'s `fallback`), so this page's
 * patched `fetch` and `XMLHttpRequest` do.
 */
export type SessionMode = 'service-worker' | 'in-page'

export interface ModeChangeDetail {
  mode: SessionMode
}
/** One thing sw-bearer did with a request (see `debug`); never holds a token. */
export interface DecisionDetail {
  decision: Decision
}

/** What `session.inspect()` says: enough for an app to show a "degraded" state or a support page. */
export interface SessionInspection {
  mode: SessionMode
  /** Whether a live service worker controls this page. */
  controlled: boolean
  hasToken: boolean
  /** Why the session runs in the page, when it does (`unsupported`, `registration-failed`…). */
  workerError: SwBearerError | null
  /** For `inspect(url)`: whether a plain `fetch(url)` from this page gets the token, and if not, why. */
  request?: { url: string; getsToken: boolean; reason?: SkipReason; nearMiss?: string }
}

export interface TokenSessionEventMap {
  tokenchange: CustomEvent<TokenChangeDetail>
  logout: CustomEvent<null>
  error: CustomEvent<ErrorDetail>
  modechange: CustomEvent<ModeChangeDetail>
  decision: CustomEvent<DecisionDetail>
  /** A resource's token changed (fetched, refreshed, cleared), in every tab. */
  resourcechange: CustomEvent<ResourceChangeDetail>
}

/** @internal How the session was set up (see RegisterOptions). */
export interface SessionSetup {
  debug: boolean
  /** Starts the in-page mode, or undefined without a `fallback`. */
  inPage?: (session: TokenSession) => InPageMode
  /** A worker that answered as sw-bearer, controlling this page or not. */
  speaking?: () => ServiceWorker | null
}

// Generous on purpose: a worker serving a storm of 1000 requests answers late, not never.
const MESSAGE_TIMEOUT_MS = 30_000
const REFRESH_TIMEOUT_MS = 120_000
/** The worker's flight: twice its default provider bound, and the ack before it. */
const RENEW_TIMEOUT_MS = 25_000
/** The worker's default refreshTimeoutMs, for a worker that does not say its own. */
const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000

// Every session in this tab hears the same request; one answer is all the worker wants
// (an app that registers twice, as React's StrictMode effects do, must not call its SDK
// twice). The newest registration's getter answers: it is the app's current SDK client.
const answered = new WeakSet<MessagePort>()
let newest: TokenSession | undefined

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
  #reconnect: () => Promise<void>
  #reconnecting: Promise<void> | undefined
  /** The getter's call under way in this tab, per resource ('' for the default token). */
  #providerCalls = new Map<string, { promise: Promise<Credential>; forceRefresh: boolean }>()
  #resources = new ResourceStates()
  #early: ErrorDetail[] | undefined = []
  #setup: SessionSetup
  #inPage: InPageMode | undefined
  #workerError: SwBearerError | null = null
  /** The next state is taken whatever its stamp: it comes from the other mode, which counts its own. */
  #resync = false
  /** Handing the session to a worker: its startup's "nobody" is not a logout of this one. */
  #moving = false
  /** The in-page session's first token, when the page took over from a worker that was lost. */
  #inPageStart: Promise<void> | undefined

  /** @internal Made by registerTokenServiceWorker. */
  constructor(getAccessToken: GetAccessToken, worker: () => ServiceWorker | null, reconnect: () => Promise<void>, setup: SessionSetup = { debug: false }) {
    super()
    this.#getAccessToken = getAccessToken
    this.#worker = worker
    this.#reconnect = reconnect
    this.#setup = setup
    newest = this
  }

  /** Where the session runs now; a `modechange` event says when that changes. */
  get mode(): SessionMode {
    return this.#inPage ? 'in-page' : 'service-worker'
  }

  /**
   * What the session looks like, and with a URL (absolute, or relative to this page) whether a
   * plain `fetch` of it from this page gets the token. Asks the worker in `service-worker` mode:
   * its origin list is the one that counts.
   */
  async inspect(url?: string | URL): Promise<SessionInspection> {
    let target: URL | undefined
    if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) {
      throw new SwBearerError('invalid-options', 'inspect: url must be a string or a URL')
    }
    if (url !== undefined) {
      try {
        target = new URL(String(url), location.href)
      } catch {
        throw new SwBearerError('invalid-options', `inspect: "${String(url)}" is not a URL`)
      }
    }
    const reply = await this.exchange(pageMessage('inspect', { url: (target ?? new URL(location.href)).href }))
    const controller = typeof navigator !== 'undefined' ? navigator.serviceWorker?.controller : null
    const inspection: SessionInspection = {
      mode: this.mode,
      controlled: !!controller && controller.state !== 'redundant',
      hasToken: this.#hasToken,
      workerError: this.#inPage ? this.#workerError : null,
    }
    if (target && reply.verdict) {
      // The rule says it would; with no token held, nothing goes.
      const verdict = reply.verdict.getsToken && !this.#hasToken ? { getsToken: false, reason: 'signed-out' as const } : reply.verdict
      inspection.request = { url: target.href, ...verdict }
    }
    return inspection
  }

  /** @internal The worker cannot run (`error` says why): the session runs in this page. False without a fallback. */
  runInPage(error: SwBearerError): boolean {
    if (this.#inPage) return true
    if (!this.#setup.inPage) return false
    this.#workerError = error
    this.#inPage = this.#setup.inPage(this)
    this.#resync = true
    this.#modeChanged()
    return true
  }

  /**
   * @internal A worker controls this page now: it takes the session over. It gets the token
   * through its startup flight first (the SDK's cache answers), and only then are fetch and
   * XMLHttpRequest handed back, so no request goes out without a token in between.
   */
  async moveToWorker(): Promise<void> {
    const inPage = this.#inPage
    const worker = this.#worker()
    if (!inPage || !worker || this.#moving) return
    this.#moving = true
    let reply: Reply
    try {
      reply = await postToWorker(worker, pageMessage('start', {}), MESSAGE_TIMEOUT_MS)
      if (this.#inPage !== inPage) return
      // A session signed in with setToken: the getter had nothing to give the worker, so hand it over.
      const held = inPage.token()
      if (!reply.state.hasToken && held !== null) reply = await postToWorker(worker, pageMessage('set-token', { token: held }), MESSAGE_TIMEOUT_MS)
      if (this.#inPage !== inPage) return
    } finally {
      this.#moving = false
    }
    inPage.stop()
    this.#inPage = undefined
    this.#workerError = null
    this.#resync = true
    this.applyState(reply.state)
    this.#modeChanged()
  }

  /**
   * @internal In-page beside a worker that serves other tabs (it answered, but never took this
   * one): refreshes go through its flight, so all the tabs make one provider call.
   */
  renewer(): ((held: string | null, reason: 'unauthorized' | 'expiring' | 'visible') => Promise<string | null>) | undefined {
    const worker = this.#setup.speaking?.()
    if (!worker) return undefined
    return async (held, reason) => (await postToWorker(worker, pageMessage('renew', { token: held, reason }), RENEW_TIMEOUT_MS)).token ?? null
  }

  #modeChanged(): void {
    if (!this.#early) this.dispatchEvent(new CustomEvent('modechange', { detail: { mode: this.mode } }))
  }

  /** @internal One decision of the worker's or the in-page mode's: an event, and the console (see debugOutput). */
  report(decision: Decision, fromWorker = false): void {
    // The worker sends only what its own switches let through.
    if (!fromWorker && !worthReporting(decision, this.#setup.debug)) return
    printDecision(decision)
    this.dispatchEvent(new CustomEvent('decision', { detail: { decision } }))
  }

  /** @internal Its registration failed: an older session of this tab answers again. */
  retire(): void {
    if (newest === this) newest = undefined
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
    // setToken hands over Bearer tokens; a DPoP-bound one needs its key (see GetAccessToken).
    assertBearerBound(token)
    await this.exchange(pageMessage('set-token', { token }))
  }

  /**
   * Runs getAccessToken now, through the worker's single flight (a refresh already
   * under way in any tab is joined, not repeated), and returns the token it got.
   */
  async refresh(options: { resource?: string } = {}): Promise<string | null> {
    const resource = options?.resource
    if (resource !== undefined) this.#checkResource(resource, 'refresh')
    const reply = await this.exchange(pageMessage('refresh', resource === undefined ? {} : { resource }), REFRESH_TIMEOUT_MS)
    return reply.token ?? null
  }

  /**
   * The resources the worker lists (`{ origin, resource }` entries of its `apiOrigins`), each
   * with its own token. Empty when it lists none, and in `in-page` mode, which holds only the
   * default token.
   */
  get resources(): readonly string[] {
    return this.#inPage ? [] : this.#resources.names
  }

  /**
   * What the worker holds for one resource: its token's claims and whether it has one. A
   * resource's token is fetched on its first use (a request to its origin, or `refresh({ resource })`).
   * @throws SwBearerError `invalid-options` for a resource the worker does not list.
   */
  resource(resource: string): ResourceView {
    this.#checkResource(resource, 'resource')
    return this.#resources.get(resource)!
  }

  #checkResource(resource: unknown, call: string): void {
    if (typeof resource !== 'string' || !this.resources.includes(resource)) {
      const listed = this.resources.length ? `: it lists ${this.resources.map((r) => `"${r}"`).join(', ')}` : this.#inPage ? ' in in-page mode' : ': it lists none'
      throw new SwBearerError('invalid-options', `${call}: the worker holds no resource ${JSON.stringify(resource)}${listed}`)
    }
  }

  /** Clears the token everywhere; a refresh that finishes later is discarded. */
  async logout(): Promise<void> {
    const inPage = !!this.#inPage
    await this.exchange(pageMessage('logout', {}))
    // Tabs the worker does control (this one could not be, in time) sign out too.
    const worker = inPage ? this.#worker() : null
    if (worker) await postToWorker(worker, pageMessage('logout', {}), MESSAGE_TIMEOUT_MS).catch(() => {})
  }

  /** @internal Sends to the worker and takes the session state its reply carries. */
  async exchange(message: PageMessage, timeoutMs?: number): Promise<Reply> {
    const reply = await this.post(message, timeoutMs)
    this.applyState(reply.state)
    return reply
  }

  /**
   * @internal Sends to the worker; one removed with the site's data is registered again
   * first (once, however many messages wait for it), and starts with the session unknown.
   */
  async post(message: PageMessage, timeoutMs = MESSAGE_TIMEOUT_MS): Promise<Reply> {
    if (this.#inPage) {
      await this.#inPageStart
      return this.#inPage.post(message)
    }
    if (!this.#worker()) {
      try {
        await (this.#reconnecting ??= this.#reconnect().finally(() => (this.#reconnecting = undefined)))
      } catch (error) {
        // The worker is gone for good (its site data cleared, and it cannot register again): the
        // page takes over, and every message waits for its first token, so none answers with the
        // empty session of the moment (a false logout).
        if (!this.runInPage(error as SwBearerError)) throw error
        this.#inPageStart ??= this.#inPage!.post(pageMessage('start', {})).then((reply) => this.applyState(reply.state), () => {})
        await this.#inPageStart
        return this.#inPage!.post(message)
      }
    }
    const worker = this.#worker()
    if (!worker) throw new SwBearerError('registration-failed', 'The service worker is gone')
    return postToWorker(worker, message, timeoutMs)
  }

  /** @internal Listens on navigator.serviceWorker. */
  readonly receive = (event: MessageEvent): void => {
    const message = parseWorkerMessage(event.data)
    // In-page mode counts its own states; a worker's (another tab's, in scope) would mix them up.
    if (message?.type === 'state' && !this.#inPage) this.applyState(message.state)
    // A logout in a tab the worker controls signs the in-page tabs out too.
    else if (message?.type === 'state' && message.state.cause === 'logout' && !message.state.hasToken && this.hasToken && !this.#moving) {
      void this.#inPage?.post(pageMessage('logout', {})).then((reply) => this.applyState(reply.state))
    }
    if (message?.type === 'error') this.reportError(fromWire(message.error))
    if (message?.type === 'decision') this.report(message.decision, true)
    const port = event.ports[0]
    if (message?.type === 'refresh-request' && port && !answered.has(port) && (newest ?? this) === this) {
      answered.add(port)
      // Delivered long after the worker stopped waiting for our ack: it has asked another tab.
      // Twice its bound, since a busy worker's own timer fires late; a tab is stuck far longer.
      if (message.sentAt !== undefined && message.timeoutMs !== undefined && Date.now() - message.sentAt > 2 * message.timeoutMs) return
      // A worker from before forceRefresh existed only asked when its token was refused or due.
      const context = { reason: message.reason, forceRefresh: message.forceRefresh ?? message.reason !== 'startup', resource: message.resource }
      void this.#answerRefresh(port, context, message.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS, message.dpop === true)
    }
  }

  /** @internal A reply and a broadcast may carry the same state: apply each stamp once. */
  applyState(state: SessionState): void {
    // Apart from the default token's stamp: a resource's news comes with an unchanged default.
    this.#resources.apply(state.resources, (detail) => this.dispatchEvent(new CustomEvent('resourcechange', { detail })), this.#resync, state.stamp < this.#stamp)
    if (state.stamp <= this.#stamp && !this.#resync) return
    this.#resync = false
    const first = this.#stamp === -1
    const hadToken = this.#hasToken
    this.#stamp = state.stamp
    this.#claims = state.claims
    this.#hasToken = state.hasToken
    // A call started before someone set a token or signed out belongs to the session
    // that ended: a later refresh must ask the SDK afresh, not take its answer.
    if (state.cause === 'set' || state.cause === 'logout') this.#providerCalls.clear()
    if (first) return
    this.dispatchEvent(new CustomEvent('tokenchange', { detail: { claims: state.claims } }))
    if (!state.hasToken && hadToken) {
      this.dispatchEvent(new CustomEvent('logout', { detail: null }))
    }
  }

  /**
   * @internal Reports a failure without throwing into the app. Until registration has
   * handed the session to the app nobody can listen yet: those wait for `ready()`.
   * Every caller passes a SwBearerError; anything else is wrapped, so `detail.error` always is one.
   */
  reportError(error: unknown, resource?: string): void {
    const failure =
      error instanceof SwBearerError ? error : new SwBearerError('registration-failed', `Unexpected failure: ${describe(error)}`, { cause: error })
    const detail: ErrorDetail = resource === undefined ? { error: failure } : { error: failure, resource }
    if (this.#early) this.#early.push(detail)
    else this.dispatchEvent(new CustomEvent('error', { detail }))
  }

  /** @internal The app holds the session now: fire what happened before, after its `await` resumes. */
  ready(): void {
    const early = this.#early ?? []
    this.#early = undefined
    if (early.length) setTimeout(() => early.forEach(({ error, resource }) => this.reportError(error, resource)))
  }

  /**
   * @internal Calls getAccessToken, once at a time per tab (a forced call never joins an
   * unforced one: that may bring back the cached token). Failures come out as
   * `provider-failed` (the SDK's error as `cause`), `invalid-token`, or `timeout`
   * after `timeoutMs`: then the call is abandoned, so the next one asks the SDK
   * again instead of joining a call that may never settle.
   */
  callProvider(context: GetAccessTokenContext, timeoutMs: number): Promise<string | null> {
    return this.provide(context, timeoutMs).then((credential) => {
      // The page's own fetch cannot sign proofs with the worker's rules: a bound token is not sent as Bearer.
      if (credential?.key) throw new SwBearerError('invalid-token', 'In-page mode sends Bearer tokens only; a DPoP-bound token needs the service worker')
      return credential?.token ?? null
    })
  }

  /** @internal callProvider, for the worker: the token and, for a DPoP-bound one, its key. */
  provide(context: GetAccessTokenContext, timeoutMs: number): Promise<Credential> {
    // A call for one resource never answers another's: each token is for its own audience.
    const key = context.resource ?? ''
    let call = this.#providerCalls.get(key)
    if (!call || (context.forceRefresh && !call.forceRefresh)) {
      const promise = this.#askProvider(context)
      call = { promise, forceRefresh: context.forceRefresh }
      this.#providerCalls.set(key, call)
      // Forget it once settled; only after the assignment above, or a getter that
      // throws synchronously would leave its rejection here for good.
      const forget = () => this.#forget(key, promise)
      promise.then(forget, forget)
    }
    const promise = call.promise
    return withTimeout(promise, timeoutMs, () => this.#forget(key, promise))
  }

  #forget(key: string, promise: Promise<Credential>): void {
    if (this.#providerCalls.get(key)?.promise === promise) this.#providerCalls.delete(key)
  }

  async #askProvider(context: GetAccessTokenContext): Promise<Credential> {
    let token: unknown
    try {
      // A fresh object each call: a getter that keeps or changes it touches nothing of ours.
      token = await this.#getAccessToken({ resource: undefined, ...context })
    } catch (error) {
      throw new SwBearerError('provider-failed', `getAccessToken failed: ${describe(error)}`, { cause: error })
    }
    return readCredential(token)
  }

  async #answerRefresh(port: MessagePort, context: GetAccessTokenContext, timeoutMs: number, signsProofs: boolean): Promise<void> {
    port.postMessage(refreshAnswer('refresh-ack', {}))
    try {
      const credential = await this.provide(context, timeoutMs)
      // A worker from before DPoP would take the token alone and send it as Bearer (a deploy's overlap).
      if (credential?.key && !signsProofs) throw new SwBearerError('invalid-token', 'This version of the service worker cannot sign DPoP proofs; the bound token is not handed to it')
      // The key pair crosses as CryptoKeys (structured clone): never exported, never in a message's text.
      port.postMessage(refreshAnswer('refresh-result', credential?.key ? { token: credential.token, key: credential.key } : { token: credential?.token ?? null }))
    } catch (error) {
      const failure = error as SwBearerError
      port.postMessage(refreshAnswer('refresh-error', { error: failure.toWire() }))
      this.reportError(failure, context.resource)
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
