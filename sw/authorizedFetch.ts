/// <reference lib="webworker" />
import type { Refresher } from './Refresher.js'
import type { TokenState } from './TokenState.js'

export interface AuthorizedFetchOptions {
  state: TokenState
  refresher: Refresher
  leewaySeconds: number
}

function withToken(request: Request, header: string): Request {
  const headers = new Headers(request.headers)
  headers.set('Authorization', header)
  return new Request(request, { headers })
}

/**
 * Sends `request` with the current token and, on a 401, once more with a fresh
 * one. Never more than two sends; every wait in here is bounded by the refresher.
 */
export function authorizedFetch({ state, refresher, leewaySeconds }: AuthorizedFetchOptions) {
  // The token value we already refreshed ahead of expiry: if the provider hands back
  // one that still looks expired (a skewed clock), it is sent as is, not refreshed again.
  let preempted: string | null = null

  return async (request: Request, clientId: string | undefined): Promise<Response> => {
    if (!state.loaded) await state.load()
    // A refresh under way will replace the token: wait for it rather than earn a 401.
    if (refresher.inFlight) await refresher.inFlight

    if (state.header !== null && state.token !== preempted && state.secondsLeft() <= leewaySeconds) {
      preempted = state.token
      await refresher.run({ clientId, reason: 'expiring' })
    }
    const sentToken = state.token
    const sentHeader = state.header
    if (sentHeader === null) return fetch(request) // logged out: the API decides

    // Bodies are streams: keep an unread copy so the retry sends the same bytes.
    const replay = request.body === null ? request : request.clone()
    const first = await fetch(withToken(request, sentHeader))
    if (first.status !== 401) return first

    // A 401 for a token we no longer hold is stale: retry with the current one, no provider call.
    if (state.token === sentToken) {
      await refresher.run({ clientId, reason: 'unauthorized' })
    }
    if (state.header === null || state.token === sentToken) return first
    void first.body?.cancel()
    return fetch(withToken(replay, state.header))
  }
}
