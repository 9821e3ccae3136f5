/// <reference lib="webworker" />
import { isFormPost, isTokenEndpointRequest } from '../common/authTraffic.js'
import type { DebugReport, Step } from './debugReport.js'
import { DEV } from './dev.js'
import type { ExpiryGuard } from './ExpiryGuard.js'
import { FetchLimiter } from './FetchLimiter.js'
import type { Refresher } from './Refresher.js'
import { asksForNonce, dpopError, DpopNonces } from './dpop/nonces.js'
import { targetUri } from './dpop/proof.js'
import { sleep } from './sleep.js'
import type { TokenState } from './TokenState.js'

declare const self: ServiceWorkerGlobalScope

export interface AuthorizedFetchOptions {
  origins: ReadonlySet<string>
  state: TokenState
  refresher: Refresher
  expiry: ExpiryGuard
  /** Told what happens to each request, when the worker's `debug` is on (see debugReport). */
  report?: DebugReport['step']
  /** Whether any token's flight is asking this tab now (another resource's among them). */
  asking?: (clientId: string) => boolean
}

// A copy's headers are mutable: cheaper than building a Headers and a second init (bench row 1).
function withToken(request: Request, header: string, proof?: string): Request {
  const copy = new Request(request)
  copy.headers.set('Authorization', header)
  // A proof goes with a DPoP token only: never a stale one (a retry of a plugin's request) nor the page's own.
  if (proof === undefined) copy.headers.delete('DPoP')
  else copy.headers.set('DPoP', proof)
  return copy
}

/**
 * How long a request that may be part of a refresh (see partOfRefresh) waits for it before
 * it goes without a token: long enough for a token endpoint to answer, short enough that
 * an SDK route we could not recognise (see authTraffic) is only delayed, never deadlocked.
 */
const OWN_REFRESH_WAIT_MS = 1000

// What the report is told of a request's first send. One that goes bare because it may be part
// of a refresh (see settle) is not reported: no skip reason names that, and a warning does.
const INJECTED: Step = { kind: 'injected' }
const SIGNED_OUT: Step = { kind: 'skipped', reason: 'signed-out' }
const OWN_TRAFFIC: Step = { kind: 'skipped', reason: 'auth-route' }

/**
 * Sends `request` with the current token and, on a 401, once more with a fresh
 * one. Never more than two sends; every wait in here is bounded by the refresher.
 */
export function authorizedFetch({ origins, state, refresher, expiry, report, asking = () => false }: AuthorizedFetchOptions) {
  const limiter = new FetchLimiter()
  const nonces = new DpopNonces()

  /**
   * The request with the current token, as it leaves: a DPoP-bound token (RFC 9449 §7) with a
   * fresh proof for this request, signed in its slot; `sent` notes the nonce the proof carried.
   */
  function authorized(outgoing: Request, sent: Sent): Request | { ready: Promise<Request> } {
    const header = state.header!
    const dpop = state.dpop
    sent.token = state.token
    sent.nonce = false
    if (!dpop) return withToken(outgoing, header)
    const origin = new URL(outgoing.url).origin
    const nonce = nonces.get(origin)
    sent.nonce = nonce ?? null
    // iat on the issuer's clock as far as tokens tell (see TokenState.clockOffset): the API's, usually.
    const iat = Math.floor(Date.now() / 1000 + state.clockOffset)
    const claims = { jti: crypto.randomUUID(), htm: outgoing.method, htu: targetUri(outgoing.url), iat, ath: dpop.ath, ...(nonce !== undefined && { nonce }) }
    return { ready: dpop.sign(claims).then((proof) => withToken(outgoing, header, proof)) }
  }

  /** Takes the nonce a DPoP response carries (RFC 9449 §8.2: a 2xx too), for the next proofs. */
  const learn = (response: Response | null, sent: Sent) => {
    if (response && sent.token !== null && sent.nonce !== false) nonces.learn(new URL(response.url || 'null:').origin, response)
    return response
  }
  // Only a retry's build ever says "no longer" (null), so the other sends always get a response.
  const sendBare = (build: () => Request) => limiter.fetch(build) as Promise<Response>
  // A 401 says something about our token only when an API origin said it, not a
  // server a redirect led to (which never saw the token).
  const refusedByApi = (response: Response) =>
    response.status === 401 && (!response.url || origins.has(new URL(response.url).origin))

  /**
   * Whether a request may be the SDK's own, for the refresh under way: it comes from the tab
   * running getAccessToken, or from a Web Worker or iframe, where SDKs also make token calls
   * (auth0-spa-js keeps refresh tokens in a worker) and which cannot be traced to their tab.
   */
  async function partOfRefresh(clientId: string | undefined): Promise<boolean> {
    if (clientId === undefined || !refresher.inFlight) return false
    if (clientId === refresher.asking) return true
    const client = await self.clients.get(clientId)
    return !!client && (client.type !== 'window' || (client as WindowClient).frameType === 'nested')
  }

  /**
   * Waits until the token is one that may be sent. True when the request must go out
   * without any rather than wait: it may be what the refresh itself is waiting for.
   */
  async function settle(request: Request, clientId: string | undefined): Promise<boolean> {
    if (request.destination !== '') {
      // A document's script, style, image…: the page loading it may be the one that must
      // run the refresh, so it never waits; nor does it take a token about to be replaced.
      return refresher.inFlight !== undefined || expiry.due()
    }
    if (clientId !== undefined && clientId !== refresher.asking && asking(clientId)) {
      // The tab runs another token's getter, whose flight holds the one refresh lock: nothing here
      // may wait behind it (that getter may be waiting for this very request). What is held goes now.
      return state.token === null || refresher.inFlight !== undefined
    }
    if (await partOfRefresh(clientId)) {
      const flight = refresher.inFlight
      if (flight) await Promise.race([flight, sleep(OWN_REFRESH_WAIT_MS)])
      if (refresher.inFlight) {
        if (DEV) console.warn(`sw-bearer: a request that may be part of a refresh waited ${OWN_REFRESH_WAIT_MS} ms for it and goes without a token; if it is your SDK's, list it in authRoutes`)
        return true
      }
      return false
    }
    // A refresh under way will replace the token: wait for it rather than earn a 401.
    if (refresher.inFlight) await refresher.inFlight
    // Storage was lost (cleared site data, an evicted or failing IndexedDB) and the worker
    // restarted: no token, but the tabs may hold a session. Ask the SDK, as a tab starting would.
    if (state.token === null && !state.known) await refresher.run({ clientId, reason: 'startup', forceRefresh: false })
    if (expiry.due()) await expiry.check(clientId)
    return false
  }

  /**
   * After a 401 from an API origin to a request sent with `sent` (null: sent bare during a
   * refresh, `bare` true): one refresh for everyone, then one retry of `replay` with the
   * new token, unless the session ended meanwhile. Resolves with `first` when nothing is retried.
   */
  async function recover(first: Response, replay: Request, clientId: string | undefined, sentWith: SentWith): Promise<Response> {
    const { held, bare, logouts, nonce } = sentWith
    let sent = sentWith.sent
    if (sent !== null && nonce !== false && dpopError(first) !== null && dpopError(first) !== 'invalid_token') {
      // The API wants a proof with its nonce (RFC 9449 §9), or refused the proof itself: neither
      // is a refused token, and no provider call would mend it. A nonce is answered once, with
      // the nonce it gave; anything else goes to the page as it came.
      const again = asksForNonce(first) ? await nonceRetry(first, replay, logouts, nonce) : null
      if (!again) {
        if (DEV && asksForNonce(first)) console.warn('sw-bearer: a DPoP nonce challenge came without a new DPoP-Nonce the worker can read: does the API list it in Access-Control-Expose-Headers?')
        return first
      }
      if (!refusedByApi(again.response)) return (refresher.accepted(), again.response)
      if (dpopError(again.response) !== 'invalid_token' && dpopError(again.response) !== null) return again.response
      // The retry's token was refused: judged below by what that retry carried.
      first = again.response
      sent = again.sent.token
      if (sent === null) return first
    }
    if (sent === null) {
      // It went without a token during a refresh: retry with what that refresh brings, if anything.
      if (!bare) return first
      if (refresher.inFlight) await refresher.inFlight
      if (state.token === held) return first
    } else if (state.token === sent) {
      // A 401 for a token we no longer hold is stale: retry with the current one, no provider call.
      report?.(replay, clientId, { kind: 'refreshing' })
      const outcome = await refresher.run({ clientId, reason: 'unauthorized' })
      // A failed flight brings no code of its own; the tab whose getter failed has said why.
      if (outcome === 'failed') report?.(replay, clientId, { kind: 'refresh-failed', code: 'provider-failed' })
    }
    if (state.header === null || state.token === sent || state.logouts !== logouts) return first
    const retried: Sent = { token: null }
    // A DPoP retry may meet a nonce that rotated meanwhile: keep `replay` unread for that one too.
    let retry = await sendWithCurrent(state.dpop ? replay.clone() : replay, logouts, retried, true)
    if (retry === null) return first
    if (retried.nonce !== false && retried.nonce !== undefined && asksForNonce(retry)) retry = (await nonceRetry(retry, replay, logouts, retried.nonce))?.response ?? retry
    report?.(replay, clientId, { kind: 'retried', status: retry.status })
    void first.body?.cancel()
    // A token refused the moment it arrived means the provider is not really refreshing.
    if (!refusedByApi(retry)) refresher.accepted()
    else if (retried.token !== null) refresher.rejected(retried.token)
    return retry
  }

  /**
   * A nonce challenge's one retry: with the same token, when the challenge brought a nonce the
   * proof did not carry. Null when there is none to make (no new nonce, or the session ended).
   */
  async function nonceRetry(challenge: Response, replay: Request, logouts: number, used: string | null): Promise<{ response: Response; sent: Sent } | null> {
    const origin = new URL(challenge.url || replay.url).origin
    nonces.learn(origin, challenge)
    if (nonces.get(origin) === (used ?? undefined) || !state.dpop) return null
    const sent: Sent = { token: null }
    // A copy: `replay` stays unread for the retry after a refresh.
    const again = await sendWithCurrent(replay.clone(), logouts, sent, true)
    if (!again) return null
    void challenge.body?.cancel()
    return { response: again, sent }
  }

  // The token is put on as the request leaves the queue (see FetchLimiter): behind a storm
  // that is after the 401s ahead of it were refreshed, so it goes with the new token, once.
  // Logout wins: a request of the session that ended never takes the next one's token, and a
  // retry is not sent at all once it ended (a retry queued behind a storm may leave after it).
  function sendWithCurrent(outgoing: Request, logouts: number, sent: Sent, retry = false) {
    return limiter
      .fetch(() => {
        sent.token = null
        sent.nonce = false
        if (state.header === null || state.logouts !== logouts) return retry ? null : outgoing
        // A refresh began while it queued: the token it would take is being replaced. An app
        // request waits for it without holding a slot, so the SDK's own requests still get one.
        // A document's script or style never waits (see settle): its 401, if any, is retried.
        const flight = refresher.inFlight
        if (flight && outgoing.destination === '') return flight.catch(() => {})
        return authorized(outgoing, sent)
      })
      .then((response) => learn(response, sent))
  }

  /** Once the token may be sent: true when the request must go bare instead (see settle). */
  async function ready(request: Request, clientId: string | undefined): Promise<boolean> {
    if (!state.loaded) await state.load()
    // The hot path (no refresh under way or due, nothing lost) awaits nothing more.
    const calm = !refresher.inFlight && !expiry.due() && (state.token !== null || state.known)
    return calm ? false : settle(request, clientId)
  }

  return {
    refusedByApi,
    recover,
    /** The API took a request sent with a token: the tokens we get are good (see Refresher.rejected). */
    accepted: () => refresher.accepted(),

    /** The whole path for a request sw-bearer routes: token, send, and on a 401 one refresh and one retry. */
    async send(request: Request, clientId: string | undefined): Promise<Response> {
      if (!state.loaded) await state.load()
      // The SDK's own token request: never held for the refresh it belongs to, never with the old token.
      if (isFormPost(request) && (await isTokenEndpointRequest(request))) {
        report?.(request, clientId, OWN_TRAFFIC)
        return sendBare(() => request)
      }
      const bare = await ready(request, clientId)
      if (state.header === null && !bare) {
        report?.(request, clientId, SIGNED_OUT)
        return sendBare(() => request) // logged out: the API decides
      }

      // Bodies are streams: keep an unread copy so the retry sends the same bytes.
      const replay = request.method === 'GET' || request.method === 'HEAD' ? request : request.clone()
      const logouts = state.logouts
      const held = state.token
      const sent: Sent = { token: null }
      const first = (await (bare ? sendBare(() => request) : sendWithCurrent(request, logouts, sent)))!
      // Told as it went: a session that ended while it queued sent it bare.
      if (!bare) report?.(request, clientId, sent.token !== null ? INJECTED : SIGNED_OUT)
      if (!refusedByApi(first)) {
        if (sent.token !== null) refresher.accepted()
        return first
      }
      return recover(first, replay, clientId, { sent: sent.token, held, bare, logouts, nonce: sent.nonce === undefined ? false : sent.nonce })
    },

    /** What a strategy of the app's got back: a DPoP response's nonce counts too (see learn). */
    observe: (response: Response, sent: SentWith) => void learn(response, { token: sent.sent, nonce: sent.nonce }),

    /**
     * The request as it may leave now, for a fetch sw-bearer does not make itself (an app's
     * Workbox strategy): with the current token, or bare during a refresh it may be part of.
     */
    async authorize(request: Request, clientId: string | undefined): Promise<{ request: Request; with: SentWith }> {
      if (isFormPost(request) && (await isTokenEndpointRequest(request))) {
        report?.(request, clientId, OWN_TRAFFIC)
        return { request, with: { sent: null, held: state.token, bare: false, logouts: state.logouts, nonce: false } }
      }
      const bare = await ready(request, clientId)
      const logouts = state.logouts
      const held = state.token
      if (!bare) report?.(request, clientId, state.header === null ? SIGNED_OUT : INJECTED)
      if (bare || state.header === null) return { request, with: { sent: null, held, bare, logouts, nonce: false } }
      const sent: Sent = { token: null }
      const built = authorized(request, sent)
      const outgoing = built instanceof Request ? built : await built.ready
      return { request: outgoing, with: { sent: sent.token, held, bare, logouts, nonce: sent.nonce === undefined ? false : sent.nonce } }
    },
  }
}

/** What a request was sent with, for recover(). */
export interface SentWith {
  /** The token it carried, or null. */
  sent: string | null
  /** The token held when it left. */
  held: string | null
  /** It went bare on purpose, during a refresh it may be part of. */
  bare: boolean
  /** The logout count when it left: a logout since ends its session. */
  logouts: number
  /** With a DPoP-bound token: the nonce its proof carried, or null for none; false for Bearer or no token. */
  nonce: string | null | false
}

/** What one send put on the request, noted as it left the queue. */
interface Sent {
  token: string | null
  /** See SentWith.nonce; unset until the request leaves. */
  nonce?: string | null | false
}
