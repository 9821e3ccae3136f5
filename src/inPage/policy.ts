import { isAuthUrl, type AuthRoute } from '../../common/authTraffic.js'
import { classify, shownUrl, type Decision, type Verdict } from '../../common/decision.js'
import type { InPageTokens } from './InPageTokens.js'

/** What both patches (fetch, XMLHttpRequest) share: the token, the rule, and the debug output. */
export interface InPagePolicy {
  tokens: InPageTokens
  /** False once the worker holds the session: the patches then pass everything through. */
  readonly active: boolean
  verdict(url: URL, mode: string, hasAuthorization: boolean): Verdict
  /** Whether a 401 says anything about our token: only an API origin's does (not a redirect target's). */
  refusedByApi(status: number, responseUrl: string): boolean
  report(decision: Decision): void
}

export function inPagePolicy(
  tokens: InPageTokens,
  origins: ReadonlySet<string>,
  authRoutes: readonly AuthRoute[],
  report: (decision: Decision) => void,
): InPagePolicy & { stop(): void } {
  let active = true
  return {
    tokens,
    get active() {
      return active
    },
    stop: () => void (active = false),
    verdict(url, mode, hasAuthorization) {
      if (origins.has(url.origin) && isAuthUrl(url, authRoutes)) return { getsToken: false, reason: 'auth-route' }
      return classify({ url, mode, hasAuthorization }, origins, location.origin)
    },
    refusedByApi(status, responseUrl) {
      if (status !== 401) return false
      try {
        return !responseUrl || origins.has(new URL(responseUrl).origin)
      } catch {
        return false
      }
    },
    report,
  }
}

/** The decision for a request that gets no token, worth reporting: one to a listed origin, or a near miss. */
export function skipped(method: string, url: URL, verdict: Verdict & { getsToken: false }): Decision | undefined {
  if (verdict.reason === 'not-listed') return undefined
  return { kind: 'skipped', method, url: shownUrl(url), reason: verdict.reason, ...(verdict.nearMiss ? { nearMiss: verdict.nearMiss } : {}) }
}
