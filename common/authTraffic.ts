import type { SwBearerError } from './errors.js'

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

/**
 * Parses `authRoutes` once, at install time. Entries are URLs, absolute or relative to the
 * worker script (`/api/auth/token`), on a listed origin, with a path: a bare origin would
 * take the whole API out of injection, which is what leaving it off `apiOrigins` is for.
 * `invalid` makes the error for a bad entry (each side words its own).
 */
export function parseAuthRoutes(
  list: readonly string[] | null | undefined,
  origins: ReadonlySet<string>,
  base: string,
  invalid: (entry: string) => SwBearerError,
): readonly AuthRoute[] {
  if (list === undefined || list === null) return []
  return (Array.isArray(list) ? list : [list]).map((entry: unknown) => {
    let url: URL | undefined
    try {
      if (typeof entry === 'string' && !/[?#]/.test(entry) && Array.isArray(list)) url = new URL(entry, base)
    } catch {}
    if (!url || url.username || url.password || !origins.has(url.origin) || url.pathname === '/') {
      throw invalid(String(entry))
    }
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

/** Whether a Content-Type header value names a form body (`application/x-www-form-urlencoded`). */
export const isFormType = (contentType: string | null | undefined): boolean => FORM.test(contentType ?? '')

/** Synchronous, so every other request skips the body check without an extra await. */
export const isFormPost = (request: Request): boolean => request.method === 'POST' && isFormType(request.headers.get('content-type'))

/**
 * Whether form parameters are an OAuth token request (RFC 6749 §3.2: `grant_type`, every
 * SDK's refresh) or a revocation (RFC 7009 §2.1: `token` with `token_type_hint`).
 */
export const isTokenEndpointParams = (params: URLSearchParams): boolean =>
  params.has('grant_type') || (params.has('token') && params.has('token_type_hint'))

/** Known from the body: a form POST whose parameters pass `isTokenEndpointParams`. Reads a copy of the body. */
export async function isTokenEndpointRequest(request: Request): Promise<boolean> {
  if (!isFormPost(request)) return false
  try {
    return isTokenEndpointParams(new URLSearchParams(await request.clone().text()))
  } catch {
    return false
  }
}
