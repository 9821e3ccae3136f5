import { parseAuthRoutes } from '../../common/authTraffic.js'
import { SwBearerError } from '../../common/errors.js'
import { ambiguousOrigin, describeEntry, parseApiOrigin, type ApiOrigin } from '../../common/origins.js'
import type { TokenSession } from '../TokenSession.js'
import { startInPage, type InPageMode } from './inPageMode.js'

/**
 * When the service worker cannot run, the session runs in the page instead (see
 * RegisterOptions.fallback). List the same origins as the worker script does.
 */
export interface FallbackOptions {
  /**
   * Exact origins that get the token from the page's own fetch and XMLHttpRequest, as in
   * `installTokenInjection`: the same list can be passed to both. In the page only the default
   * token is kept, so a `{ origin, resource }` entry is taken and its origin left alone: its
   * requests go without a token rather than with another API's.
   */
  apiOrigins: readonly ApiOrigin[]
  /** The SDK's own URLs on those origins, as in `installTokenInjection` (relative ones to this page). */
  authRoutes?: readonly string[]
  /**
   * How long to wait for the worker to control this page before running in it, in ms. Default
   * 5000. A worker that takes control later takes the session over (a `modechange` event).
   */
  timeoutMs?: number
}

const invalid = (why: string) => new SwBearerError('invalid-options', `registerTokenServiceWorker: fallback.${why}`)

/** A checked `fallback`, ready to start. */
export interface Fallback {
  timeoutMs: number
  start: (session: TokenSession) => InPageMode
}

/** Checks `fallback` at once, so a typo throws at registration, not the day the worker fails. */
export function prepareFallback(fallback: FallbackOptions, scope: string): Fallback {
  if (typeof fallback !== 'object' || fallback === null) throw invalid('… must be an object like { apiOrigins: [...] }')
  const list: unknown = fallback.apiOrigins
  if (!Array.isArray(list) || list.length === 0) throw invalid('apiOrigins must be a non-empty array of origins')
  const origins = new Set<string>()
  const entries = list.map((entry) => {
    const parsed = parseApiOrigin(entry)
    if (parsed === null) throw invalid(`apiOrigins: ${describeEntry(entry)} is neither a bare origin like "https://api.example.com" nor { origin, resource }`)
    return parsed
  })
  // The worker refuses such a list; the page must not then give that origin the default token.
  const ambiguous = ambiguousOrigin(entries)
  if (ambiguous !== undefined) throw invalid(`apiOrigins: ${ambiguous} is listed with two different resources`)
  for (const { origin, resource } of entries) if (resource === undefined) origins.add(origin)
  if (origins.size === 0) throw invalid('apiOrigins: in the page only the default token is kept; list at least one origin without a resource')
  const authRoutes = parseAuthRoutes(fallback.authRoutes, origins, location.href, (entry) =>
    invalid(`authRoutes: "${entry}" must be a URL with a path on a listed origin, without query, fragment or userinfo`),
  )
  const timeoutMs = fallback.timeoutMs === undefined ? 5000 : fallback.timeoutMs
  // setTimeout fires at once past 2^31 - 1 ms: such a wait would be none.
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs > 2 ** 31 - 1) throw invalid('timeoutMs must be a number of milliseconds, at most 2^31 - 1')
  return {
    timeoutMs,
    start: (session) =>
      startInPage({
        origins,
        authRoutes,
        scope,
        callProvider: (context, ms) => session.callProvider(context, ms),
        onState: (state) => session.applyState(state),
        onError: (error) => {
          session.report({ kind: 'refresh-failed', code: error.code })
          session.reportError(error)
        },
        report: (decision) => session.report(decision),
        renew: () => session.renewer(),
      }),
  }
}
