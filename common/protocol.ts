import type { JWTPayload } from 'jose'
import type { Decision, Verdict } from './decision.js'
import { isErrorCode, type WireError } from './errors.js'

/**
 * The page ⇄ service worker protocol. Both sides import this one module, every
 * message carries the protocol name and version, and anything that does not parse
 * is ignored: a page from an older deploy talking to a newer worker must never
 * be able to put the worker in a state it does not understand.
 */
export const PROTOCOL = 'sw-bearer'
export const PROTOCOL_VERSION = 1

interface Envelope<T extends string> {
  protocol: typeof PROTOCOL
  v: typeof PROTOCOL_VERSION
  type: T
}

/** What every tab may know about the session; the token itself stays in the worker. */
export interface SessionState {
  claims: JWTPayload | null
  hasToken: boolean
  /** Monotonic across worker restarts, so a tab can drop an older state that arrives late. */
  stamp: number
  cause: StateCause
  /**
   * Each resource the worker lists (`{ origin, resource }` in apiOrigins), by resource URI. Each
   * has its own stamp: a tab takes an entry newer than the one it holds, whatever the default's.
   */
  resources?: Record<string, ResourceState>
}

/** One resource's token as the tabs see it (RFC 8707 resource indicator, Auth0's audience). */
export interface ResourceState {
  claims: JWTPayload | null
  hasToken: boolean
  stamp: number
}

export type StateCause = 'load' | 'set' | 'refresh' | 'logout'

/**
 * Why the provider is asked for a token:
 * - startup: a tab registered; the worker may already hold a good token
 * - unauthorized: an API origin answered 401 to the token held (RFC 6750 §3.1 invalid_token)
 * - expiring: the held JWT is within the refresh leeway of its `exp` (RFC 7519 §4.1.4)
 * - visible: the same, noticed when a tab became visible, came online or was restored
 * - manual: the app called `session.refresh()`
 */
export type RefreshReason = 'startup' | 'unauthorized' | 'expiring' | 'visible' | 'manual'

const REASONS: ReadonlySet<unknown> = new Set<RefreshReason>(['startup', 'unauthorized', 'expiring', 'visible', 'manual'])
export const isRefreshReason = (value: unknown): value is RefreshReason => REASONS.has(value)

// Page → worker. Each carries a MessagePort for the reply.
export type PageMessage =
  | (Envelope<'hello'> & {})
  | (Envelope<'set-token'> & { token: string | null })
  | (Envelope<'logout'> & {})
  /** `resource`: that resource's token (RFC 8707); absent: the default token. */
  | (Envelope<'refresh'> & { resource?: string })
  | (Envelope<'ensure-fresh'> & {})
  /** A tab registered: get the token through the worker's single flight (reason 'startup'). */
  | (Envelope<'start'> & {})
  /**
   * From a tab the worker does not control (it runs in-page, beside tabs the worker serves):
   * its `token` was refused or is due, so refresh through the worker's single flight, unless the
   * worker's token is already another one. Answered with the worker's `token`.
   */
  | (Envelope<'renew'> & { token: string | null; reason: 'unauthorized' | 'expiring' | 'visible' })
  /** Would a fetch of `url` from this page get the token? Answered with `verdict` (no token in it). */
  | (Envelope<'inspect'> & { url: string })

// Worker → page.
export type WorkerMessage =
  | (Envelope<'state'> & { state: SessionState })
  /**
   * `timeoutMs`: how long the worker waits for the ack, and then for the provider. The
   * page gives up on the call then too, so a later request calls the SDK again instead of
   * joining a call that never settles. `sentAt` (ms since the epoch, the worker's
   * `Date.now()`, the same clock as the page's): a tab that gets the request more than twice
   * `timeoutMs` after it (its main thread was stuck) ignores it, since the worker has asked
   * another tab by then; calling the provider anyway would spend a refresh for nothing.
   * Both optional: a worker from before they existed omits them. `resource`: the token is for
   * that resource (RFC 8707); absent: the default token. `dpop`: this worker signs DPoP proofs
   * (RFC 9449); a page hands a bound token only to one that says so (an older version would
   * send it as Bearer).
   */
  | (Envelope<'refresh-request'> & { reason: RefreshReason; timeoutMs?: number; forceRefresh?: boolean; sentAt?: number; resource?: string; dpop?: boolean })
  /**
   * Something the worker noticed about this tab's provider answer that the tab cannot
   * see for itself (a `stale-token`): the tab fires it as an `error` event.
   */
  | (Envelope<'error'> & { error: WireError })
  /**
   * What the worker did with one of this tab's requests, sent when its `debug` switch is on,
   * and for a near miss in a development build. The tab fires it as a `decision` event.
   */
  | (Envelope<'decision'> & { decision: Decision })

/** Worker's reply to a PageMessage, on its port. */
export type WorkerReply =
  | { protocol: typeof PROTOCOL; v: typeof PROTOCOL_VERSION; ok: true; state: SessionState; token?: string | null; verdict?: Verdict }
  | { protocol: typeof PROTOCOL; v: typeof PROTOCOL_VERSION; ok: false; error: WireError }

/**
 * Page's answers to a refresh-request, on its port: an ack as soon as the request
 * arrives (the tab is alive), then one outcome once getAccessToken settles.
 */
export type RefreshAnswer =
  | (Envelope<'refresh-ack'> & {})
  /** `key`: the token is DPoP-bound (RFC 9449) to this non-extractable key pair; absent: Bearer. */
  | (Envelope<'refresh-result'> & { token: string | null; key?: CryptoKeyPair })
  | (Envelope<'refresh-error'> & { error: WireError })

type Body<M> = M extends Envelope<infer _T> ? Omit<M, keyof Envelope<string>> : never
type Of<M, T> = Extract<M, { type: T }>

export function message<M extends PageMessage | WorkerMessage | RefreshAnswer, T extends M['type']>(
  type: T,
  body: Body<Of<M, T>>,
): Of<M, T> {
  return { protocol: PROTOCOL, v: PROTOCOL_VERSION, type, ...body } as unknown as Of<M, T>
}

export const pageMessage = <T extends PageMessage['type']>(type: T, body: Body<Of<PageMessage, T>>) =>
  message<PageMessage, T>(type, body)
export const workerMessage = <T extends WorkerMessage['type']>(type: T, body: Body<Of<WorkerMessage, T>>) =>
  message<WorkerMessage, T>(type, body)
export const refreshAnswer = <T extends RefreshAnswer['type']>(type: T, body: Body<Of<RefreshAnswer, T>>) =>
  message<RefreshAnswer, T>(type, body)

export function okReply(state: SessionState, token?: string | null, verdict?: Verdict): WorkerReply {
  const reply: WorkerReply = { protocol: PROTOCOL, v: PROTOCOL_VERSION, ok: true, state }
  if (token !== undefined) reply.token = token
  if (verdict !== undefined) reply.verdict = verdict
  return reply
}

export function errorReply(error: WireError): WorkerReply {
  return { protocol: PROTOCOL, v: PROTOCOL_VERSION, ok: false, error }
}

// ---- Parsing: every function returns the typed message, or null for anything else.

type Rec = Record<string, unknown>

function envelope(data: unknown): Rec | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null
  const rec = data as Rec
  return rec.protocol === PROTOCOL && rec.v === PROTOCOL_VERSION ? rec : null
}

const isTokenOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string'

/** A key pair that crossed postMessage: CryptoKeys clone as CryptoKeys, extractable or not. */
function isKeyPair(value: unknown): value is CryptoKeyPair {
  if (typeof value !== 'object' || value === null || typeof CryptoKey !== 'function') return false
  const { privateKey, publicKey } = value as Rec
  return privateKey instanceof CryptoKey && privateKey.type === 'private' && !privateKey.extractable && publicKey instanceof CryptoKey && publicKey.type === 'public'
}

function isWireError(value: unknown): value is WireError {
  if (typeof value !== 'object' || value === null) return false
  const rec = value as Rec
  return isErrorCode(rec.code) && typeof rec.message === 'string'
}

function isClaims(value: unknown): value is JWTPayload | null {
  return value === null || (typeof value === 'object' && !Array.isArray(value))
}

function isResourceState(value: unknown): value is ResourceState {
  if (typeof value !== 'object' || value === null) return false
  const rec = value as Rec
  return isClaims(rec.claims) && typeof rec.hasToken === 'boolean' && typeof rec.stamp === 'number'
}

function isResources(value: unknown): boolean {
  if (value === undefined) return true
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return Object.values(value).every(isResourceState)
}

function isSessionState(value: unknown): value is SessionState {
  if (typeof value !== 'object' || value === null) return false
  const rec = value as Rec
  return (
    isClaims(rec.claims) &&
    typeof rec.hasToken === 'boolean' &&
    typeof rec.stamp === 'number' &&
    (rec.cause === 'load' || rec.cause === 'set' || rec.cause === 'refresh' || rec.cause === 'logout') &&
    isResources(rec.resources)
  )
}

const isResourceOrAbsent = (value: unknown) => value === undefined || (typeof value === 'string' && value.length > 0 && value.length <= 2048)

export function parsePageMessage(data: unknown): PageMessage | null {
  const rec = envelope(data)
  switch (rec?.type) {
    case 'refresh':
      return isResourceOrAbsent(rec.resource) ? (rec as unknown as PageMessage) : null
    case 'hello':
    case 'logout':
    case 'ensure-fresh':
    case 'start':
      return rec as unknown as PageMessage
    case 'inspect':
      return typeof rec.url === 'string' ? (rec as unknown as PageMessage) : null
    case 'renew':
      return isTokenOrNull(rec.token) && (rec.reason === 'unauthorized' || rec.reason === 'expiring' || rec.reason === 'visible')
        ? (rec as unknown as PageMessage)
        : null
    case 'set-token':
      return isTokenOrNull(rec.token) ? (rec as unknown as PageMessage) : null
    default:
      return null
  }
}

export function parseWorkerMessage(data: unknown): WorkerMessage | null {
  const rec = envelope(data)
  switch (rec?.type) {
    case 'state':
      return isSessionState(rec.state) ? (rec as unknown as WorkerMessage) : null
    case 'refresh-request':
      return isRefreshReason(rec.reason) &&
        (rec.timeoutMs === undefined || (typeof rec.timeoutMs === 'number' && rec.timeoutMs > 0)) &&
        (rec.forceRefresh === undefined || typeof rec.forceRefresh === 'boolean') &&
        (rec.sentAt === undefined || Number.isFinite(rec.sentAt)) &&
        isResourceOrAbsent(rec.resource) &&
        (rec.dpop === undefined || typeof rec.dpop === 'boolean')
        ? (rec as unknown as WorkerMessage)
        : null
    case 'error':
      return isWireError(rec.error) ? (rec as unknown as WorkerMessage) : null
    case 'decision':
      return isDecision(rec.decision) ? (rec as unknown as WorkerMessage) : null
    default:
      return null
  }
}

const SKIP_REASONS: ReadonlySet<unknown> = new Set(['not-listed', 'near-miss', 'navigation', 'no-cors', 'own-authorization', 'auth-route', 'signed-out'])
const isText = (value: unknown) => typeof value === 'string' && value.length <= 4096

/** Only the shapes describeDecision knows: the page prints what passes here. */
function isDecision(value: unknown): value is Decision {
  if (typeof value !== 'object' || value === null) return false
  const rec = value as Rec
  if (rec.kind === 'refresh-failed') return isErrorCode(rec.code)
  if (!isText(rec.method) || !isText(rec.url)) return false
  switch (rec.kind) {
    case 'injected':
    case 'refreshing':
      return true
    case 'skipped':
      return SKIP_REASONS.has(rec.reason) && (rec.nearMiss === undefined || isText(rec.nearMiss))
    case 'retried':
      return typeof rec.status === 'number'
    default:
      return false
  }
}

function isVerdict(value: unknown): value is Verdict {
  if (typeof value !== 'object' || value === null) return false
  const rec = value as Rec
  return rec.getsToken === true || (rec.getsToken === false && SKIP_REASONS.has(rec.reason) && (rec.nearMiss === undefined || isText(rec.nearMiss)))
}

export function parseWorkerReply(data: unknown): WorkerReply | null {
  const rec = envelope(data)
  if (rec?.ok === true) {
    const tokenOk = rec.token === undefined || isTokenOrNull(rec.token)
    const verdictOk = rec.verdict === undefined || isVerdict(rec.verdict)
    return isSessionState(rec.state) && tokenOk && verdictOk ? (rec as unknown as WorkerReply) : null
  }
  if (rec?.ok === false) return isWireError(rec.error) ? (rec as unknown as WorkerReply) : null
  return null
}

export function parseRefreshAnswer(data: unknown): RefreshAnswer | null {
  const rec = envelope(data)
  switch (rec?.type) {
    case 'refresh-ack':
      return rec as unknown as RefreshAnswer
    case 'refresh-result':
      // The token's own validity is the worker's decision; here only its type.
      return isTokenOrNull(rec.token) && (rec.key === undefined || (rec.token !== null && isKeyPair(rec.key))) ? (rec as unknown as RefreshAnswer) : null
    case 'refresh-error':
      // The worker only learns from it that this refresh failed; the tab already reported why.
      return typeof rec.error === 'object' && rec.error !== null ? (rec as unknown as RefreshAnswer) : null
    default:
      return null
  }
}
