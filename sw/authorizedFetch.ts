/// <reference lib="webworker" />
import { isFormPost, isTokenEndpointRequest } from './authTraffic.js'
import { DEV } from './dev.js'
import type { ExpiryGuard } from './ExpiryGuard.js'
import { FetchLimiter } from './FetchLimiter.js'
import type { Refresher } from './Refresher.js'
import type { TokenState } from './TokenState.js'

declare const self: ServiceWorkerGlobalScope

export interface AuthorizedFetchOptions {
  origins: ReadonlySet<string>
  state: TokenState
  refresher: Refresher
  expiry: ExpiryGuard
}

// A copy's headers are mutable: cheaper than building a Headers and a second init (bench row 1).
function withToken(request: Request, header: string): Request {
  const copy = new Request(request)
  copy.headers.set('Authorization', header)
  return copy
}

/**
 * How long a request that may be part of a refresh (see partOfRefresh) waits for it before
 * it goes without a token: long enough for a token endpoint to answer, short enough that
 * an SDK route we could not recognise (see authTraffic) is only delayed, never deadlocked.
 */
const OWN_REFRESH_WAIT_MS = 1000

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Sends `request` with the current token and, on a 401, once more with a fresh
 * one. Never more than two sends; every wait in here is bounded by the refresher.
 */
export function authorizedFetch({ origins, state, refresher, expiry }: AuthorizedFetchOptions) {
  const limiter = new FetchLimiter()
  // Only a retry's build ever says "no longer" (null), so the other sends always get a response.
  const send = (build: () => Request | Promise<unknown>) => limiter.fetch(build) as Promise<Response>
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
    if (await partOfRefresh(clientId)) {
      const flight = refresher.inFlight
      if (flight) await Promise.race([flight, pause(OWN_REFRESH_WAIT_MS)])
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

  return async (request: Request, clientId: string | undefined): Promise<Response> => {
    if (!state.loaded) await state.load()
    // The SDK's own token request: never held for the refresh it belongs to, never with the old token.
    if (isFormPost(request) && (await isTokenEndpointRequest(request))) return send(() => request)
    // The hot path (no refresh under way or due, nothing lost) awaits nothing more.
    const calm = !refresher.inFlight && !expiry.due() && (state.token !== null || state.known)
    const bare = calm ? false : await settle(request, clientId)
    if (state.header === null && !bare) return send(() => request) // logged out: the API decides

    // Bodies are streams: keep an unread copy so the retry sends the same bytes.
    const replay = request.method === 'GET' || request.method === 'HEAD' ? request : request.clone()
    const logouts = state.logouts
    const held = state.token
    // The token is put on as the request leaves the queue (see FetchLimiter): behind a storm
    // that is after the 401s ahead of it were refreshed, so it goes with the new token, once.
    const sent = { token: null as string | null }
    // Logout wins: a request of the session that ended never takes the next one's token, and a
    // retry is not sent at all once it ended (a retry queued behind a storm may leave after it).
    const sendWithCurrent = (outgoing: Request, retry = false) =>
      limiter.fetch(() => {
        sent.token = null
        if (state.header === null || state.logouts !== logouts) return retry ? null : outgoing
        // A refresh began while it queued: the token it would take is being replaced. An app
        // request waits for it without holding a slot, so the SDK's own requests still get one.
        // A document's script or style never waits (see settle): its 401, if any, is retried.
        const flight = refresher.inFlight
        if (flight && outgoing.destination === '') return flight.catch(() => {})
        sent.token = state.token
        return withToken(outgoing, state.header)
      })
    const first = (await (bare ? send(() => request) : sendWithCurrent(request)))!
    const sentToken = sent.token
    if (!refusedByApi(first)) {
      if (sentToken !== null) refresher.accepted()
      return first
    }

    if (sentToken === null) {
      // It went without a token during a refresh: retry with what that refresh brings, if anything.
      if (!bare) return first
      if (refresher.inFlight) await refresher.inFlight
      if (state.token === held) return first
    } else if (state.token === sentToken) {
      // A 401 for a token we no longer hold is stale: retry with the current one, no provider call.
      await refresher.run({ clientId, reason: 'unauthorized' })
    }
    if (state.header === null || state.token === sentToken || state.logouts !== logouts) return first
    const retry = await sendWithCurrent(replay, true)
    if (retry === null) return first
    void first.body?.cancel()
    // A token refused the moment it arrived means the provider is not really refreshing.
    if (!refusedByApi(retry)) refresher.accepted()
    else if (sent.token !== null) refresher.rejected(sent.token)
    return retry
  }
}
