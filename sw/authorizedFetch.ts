/// <reference lib="webworker" />
import type { ExpiryGuard } from './ExpiryGuard.js'
import { FetchLimiter } from './FetchLimiter.js'
import type { Refresher } from './Refresher.js'
import type { TokenState } from './TokenState.js'

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
 * Sends `request` with the current token and, on a 401, once more with a fresh
 * one. Never more than two sends; every wait in here is bounded by the refresher.
 */
export function authorizedFetch({ origins, state, refresher, expiry }: AuthorizedFetchOptions) {
  const limiter = new FetchLimiter()
  const send = (request: Request) => limiter.fetch(request)
  // A 401 says something about our token only when an API origin said it, not a
  // server a redirect led to (which never saw the token).
  const refusedByApi = (response: Response) =>
    response.status === 401 && (!response.url || origins.has(new URL(response.url).origin))
  return async (request: Request, clientId: string | undefined): Promise<Response> => {
    if (!state.loaded) await state.load()
    // The tab refreshing sends at once, as things are: its SDK may call a listed origin
    // for the token. Its other requests earn a 401 and wait for the refresh then.
    if (clientId === undefined || clientId !== refresher.asking) {
      // A refresh under way will replace the token: wait for it rather than earn a 401.
      if (refresher.inFlight) await refresher.inFlight
      if (expiry.due()) await expiry.check(clientId)
    }

    const sentToken = state.token
    const sentHeader = state.header
    if (sentHeader === null) return send(request) // logged out: the API decides

    // Bodies are streams: keep an unread copy so the retry sends the same bytes.
    const replay = request.method === 'GET' || request.method === 'HEAD' ? request : request.clone()
    const logouts = state.logouts
    const first = await send(withToken(request, sentHeader))
    if (!refusedByApi(first)) {
      refresher.accepted()
      return first
    }

    // A 401 for a token we no longer hold is stale: retry with the current one, no provider call.
    if (state.token === sentToken) await refresher.run({ clientId, reason: 'unauthorized' })
    const retryToken = state.token
    // Logout wins: a request of the session that ended is not resent with the next one's token.
    if (state.header === null || retryToken === sentToken || state.logouts !== logouts) return first
    void first.body?.cancel()
    const retry = await send(withToken(replay, state.header))
    // A token refused the moment it arrived means the provider is not really refreshing.
    if (!refusedByApi(retry)) refresher.accepted()
    else if (retryToken !== null) refresher.rejected(retryToken)
    return retry
  }
}
