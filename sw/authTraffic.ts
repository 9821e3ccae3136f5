import { SwBearerError } from '../common/errors.js'
import { DEV } from './dev.js'

/**
 * The auth SDK's own traffic on a listed origin: the token request that a refresh is
 * waiting for must never wait for that refresh, and must never carry the token it
 * replaces (a resource server that refuses any unverifiable Bearer, as Spring Security
 * does even on public routes, would refuse the refresh itself). Such requests go to
 * the network untouched.
 */
export interface AuthRoute {
  origin: string
  /** Ends in `/` for a subtree (`/oauth/` matches `/oauth/token`), else matches exactly. */
  path: string
}

const invalid = (entry: unknown, why: string) =>
  new SwBearerError('invalid-options', DEV ? `installTokenInjection: authRoutes entry "${String(entry)}" ${why}` : 'invalid authRoutes')

/**
 * Parses `authRoutes` once, at install time. Entries are URLs, absolute or relative to the
 * worker script (`/api/auth/token`), on a listed origin, with a path: a bare origin would
 * take the whole API out of injection, which is what leaving it off `apiOrigins` is for.
 */
export function parseAuthRoutes(list: readonly string[] | null | undefined, origins: ReadonlySet<string>, base: string): readonly AuthRoute[] {
  if (list === undefined || list === null) return []
  if (!Array.isArray(list)) throw invalid(list, 'is not a list')
  return list.map((entry: unknown) => {
    if (typeof entry !== 'string' || /[?#]/.test(entry)) throw invalid(entry, 'is not a URL without query or fragment')
    let url: URL
    try {
      url = new URL(entry, base)
    } catch {
      throw invalid(entry, 'is not a URL')
    }
    if (url.username || url.password) throw invalid(entry, 'has userinfo')
    if (!origins.has(url.origin)) throw invalid(entry, 'is not on a listed API origin')
    if (url.pathname === '/') throw invalid(entry, 'names a whole origin: leave that origin out of apiOrigins instead')
    return { origin: url.origin, path: url.pathname }
  })
}

/**
 * Known from the URL alone, so the worker can leave it to the browser: a configured
 * auth route, or a well-known URI (RFC 8615: OIDC discovery, JWKS, …), which no API
 * guards with the token it serves to verify.
 */
export function isAuthUrl(url: URL, routes: readonly AuthRoute[]): boolean {
  if (url.pathname.startsWith('/.well-known/')) return true
  return routes.some(
    (route) => route.origin === url.origin && (route.path.endsWith('/') ? url.pathname.startsWith(route.path) : url.pathname === route.path),
  )
}

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i

/**
 * Known from the body: an OAuth token request (RFC 6749 §3.2: a form POST with
 * `grant_type`, every SDK's refresh) or a revocation (RFC 7009 §2.1: `token` with
 * `token_type_hint`). Reads a copy of the body, and only of form POSTs.
 */
export async function isTokenEndpointRequest(request: Request): Promise<boolean> {
  if (request.method !== 'POST' || !FORM.test(request.headers.get('content-type') ?? '')) return false
  try {
    const params = new URLSearchParams(await request.clone().text())
    return params.has('grant_type') || (params.has('token') && params.has('token_type_hint'))
  } catch {
    return false
  }
}
