/// <reference lib="webworker" />
import { shownUrl, type Decision, type Verdict } from '../common/decision.js'
import { describeDecision } from '../common/describeDecision.js'
import { workerMessage } from '../common/protocol.js'

declare const self: ServiceWorkerGlobalScope

/** A decision before the request it is about is named: what authorizedFetch knows of it. */
export type Step = Decision extends infer D ? (D extends { url: string } ? Omit<D, 'method' | 'url'> : D) : never

/** Reports what the worker decides about requests (see installTokenInjection's `debug`). */
export interface DebugReport {
  /**
   * Whether the route's verdict on this request may be worth reporting, so that nothing else
   * pays for a verdict's near-miss search: with `debug`, a fetch or a navigation to a listed
   * origin; and a fetch to another origin, which may be a near miss.
   */
  wants(url: URL, request: Request): boolean
  /** The route's verdict: a request left alone on a listed origin (with `debug`), or a near miss. */
  seen(request: Request, url: URL, verdict: Verdict, clientId: string | undefined): void
  /** What authorizedFetch did with a request it sent; only with `debug`. */
  readonly step: ((request: Request, clientId: string | undefined, step: Step) => void) | undefined
}

/**
 * Undefined when there is nothing to report (a production build without `debug`): the fetch
 * path then checks one value and does nothing more. Only fetch and XMLHttpRequest requests
 * (destination '') are reported, and navigations to a listed origin: a document's scripts, styles
 * and images would bury them when the API is on the app's own origin. Without `debug` (a development build) a
 * near miss is reported once per origin: the first says all there is to say.
 */
export function debugReport(debug: boolean, dev: boolean, origins: ReadonlySet<string>): DebugReport | undefined {
  if (!debug && !dev) return undefined
  // Without debug, origins already judged: a near miss's verdict depends on the origin alone.
  const settled = new Set<string>()
  const fetchLike = (request: Request) => request.destination === ''

  function emit(request: Request, step: Step, clientId: string | undefined, url?: URL): void {
    const decision: Decision = step.kind === 'refresh-failed' ? step : ({ method: request.method, url: shownUrl(url ?? new URL(request.url)), ...step } as Decision)
    if (decision.kind === 'skipped' && decision.reason === 'near-miss') console.warn(describeDecision(decision))
    else console.debug(describeDecision(decision))
    // A navigation has no client yet; a tab that closed meanwhile has none any more.
    if (clientId) self.clients.get(clientId).then((client) => client?.postMessage(workerMessage('decision', { decision })), () => {})
  }

  return {
    wants: (url, request) =>
      origins.has(url.origin) ? debug && (fetchLike(request) || request.mode === 'navigate') : fetchLike(request) && (debug || !settled.has(url.origin)),
    seen(request, url, verdict, clientId) {
      if (verdict.getsToken) return // reported once it is sent (step)
      if (!debug) {
        // A development build: each origin once, near miss or not.
        if (settled.has(url.origin)) return
        settled.add(url.origin)
      }
      if (verdict.reason === 'not-listed') return
      emit(request, { kind: 'skipped', reason: verdict.reason, ...(verdict.nearMiss ? { nearMiss: verdict.nearMiss } : {}) }, clientId, url)
    },
    step: debug
      ? (request, clientId, step) => {
          if (fetchLike(request)) emit(request, step, clientId)
        }
      : undefined,
  }
}
