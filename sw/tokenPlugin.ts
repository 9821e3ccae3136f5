/// <reference lib="webworker" />
import type { authorizedFetch, SentWith } from './authorizedFetch.js'
import { keepAliveForBody } from './keepAliveForBody.js'

/**
 * A Workbox plugin: the callbacks sw-bearer needs from a strategy of yours that serves an API
 * origin (a NetworkFirst cache of API answers, say). Its shapes are workbox-core's
 * `WorkboxPlugin`, so it fits Workbox 6 and 7 and Serwist strategies without importing either.
 */
export interface TokenPlugin {
  /** Puts the token on a request for a listed origin, as sw-bearer's own route would. */
  requestWillFetch(param: { request: Request; event: ExtendableEvent; state?: Record<string, unknown> }): Promise<Request>
  /** On a 401 from a listed origin: one refresh for every tab, then one retry with the new token. */
  fetchDidSucceed(param: { request: Request; response: Response; event: ExtendableEvent; state?: Record<string, unknown> }): Promise<Response>
  /** Keeps the worker alive until an API answer's body has arrived (see keepAliveForBody). */
  handlerWillRespond(param: { response: Response; event: ExtendableEvent; state?: Record<string, unknown> }): Promise<Response>
}

type Send = ReturnType<typeof authorizedFetch>

const SENT = 'sw-bearer:sent'

/**
 * Workbox gives each plugin a `state` object per strategy call, shared by its callbacks:
 * what requestWillFetch sent travels in it to fetchDidSucceed. Without one (Workbox 5),
 * the plugin only adds the token, and a 401 goes to the page as it came.
 */
export function tokenPlugin(sendFor: (request: Request) => Send, isForApi: (request: Request) => boolean): TokenPlugin {
  const clientOf = (event: ExtendableEvent) => (event as FetchEvent).clientId || undefined
  return {
    async requestWillFetch({ request, event, state }) {
      if (!isForApi(request)) return request
      const authorized = await sendFor(request).authorize(request, clientOf(event))
      if (state) state[SENT] = authorized.with
      return authorized.request
    },
    async fetchDidSucceed({ request, response, event, state }) {
      const sent = state?.[SENT] as SentWith | undefined
      if (!sent) return response
      // The room of the request requestWillFetch authorized: a listed origin's (see isForApi).
      const send = sendFor(request)
      send.observe(response, sent)
      if (!send.refusedByApi(response)) {
        if (sent.sent !== null) send.accepted()
        return response
      }
      // Workbox hands over an unread copy of what requestWillFetch returned: the retry's body.
      // It carries the refused header, which the retry replaces.
      return send.recover(response, request, clientOf(event), sent)
    },
    async handlerWillRespond({ response, event, state }) {
      if (state?.[SENT]) keepAliveForBody(event, response)
      return response
    },
  }
}
