import type { SwBearerErrorCode } from './errors.js'

/**
 * Why a request got no token. `near-miss`: its origin is not listed, but differs from a listed
 * one only in spelling (a loopback alias, the port, or the scheme): almost always a typo in the
 * configuration, and otherwise invisible (the API answers 401 and nothing says why).
 */
export type SkipReason = 'not-listed' | 'near-miss' | 'navigation' | 'no-cors' | 'own-authorization' | 'auth-route' | 'signed-out'

/**
 * One thing sw-bearer did with a request, as its debug output reports it. Never holds a token;
 * `url` is the origin and path only (a query may carry secrets such as an authorization code).
 */
export type Decision =
  | { kind: 'injected'; method: string; url: string }
  | { kind: 'skipped'; method: string; url: string; reason: SkipReason; nearMiss?: string }
  /** An API origin answered 401 to the token sent: one refresh, then one retry. */
  | { kind: 'refreshing'; method: string; url: string }
  /** The retry's answer. */
  | { kind: 'retried'; method: string; url: string; status: number }
  | { kind: 'refresh-failed'; code: SwBearerErrorCode }

/** What classify needs to know of a request, in either realm. */
export interface RequestFacts {
  url: URL
  mode: string
  hasAuthorization: boolean
}

export type Verdict = { getsToken: true } | { getsToken: false; reason: SkipReason; nearMiss?: string }

/**
 * The one rule both sides apply: exact origin match (RFC 6454 §5: scheme, host and port), and
 * never navigations, `no-cors` requests (the browser drops Authorization there; Fetch §2.2.2
 * CORS-safelisted request-header) or requests that carry their own Authorization.
 */
export function classify({ url, mode, hasAuthorization }: RequestFacts, origins: ReadonlySet<string>, ownOrigin?: string): Verdict {
  if (!origins.has(url.origin)) {
    const nearMiss = nearMissOf(url, origins, ownOrigin)
    return nearMiss ? { getsToken: false, reason: 'near-miss', nearMiss } : { getsToken: false, reason: 'not-listed' }
  }
  if (mode === 'navigate') return { getsToken: false, reason: 'navigation' }
  if (mode === 'no-cors') return { getsToken: false, reason: 'no-cors' }
  if (hasAuthorization) return { getsToken: false, reason: 'own-authorization' }
  return { getsToken: true }
}

const LOOPBACK: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]'])
const sameHost = (a: string, b: string) => a === b || (LOOPBACK.has(a) && LOOPBACK.has(b)) || a === `www.${b}` || b === `www.${a}`

/**
 * The listed origin that `url`'s origin differs from only in spelling: the host (localhost,
 * 127.0.0.1 and [::1] are one machine; a `www.` prefix), the port, or http vs https. Undefined
 * when none does, and for the page's own origin (`ownOrigin`: its scripts and same-origin
 * calls are no typo). Only ever used to explain why a request got no token, never to give one.
 */
export function nearMissOf(url: URL, origins: ReadonlySet<string>, ownOrigin?: string): string | undefined {
  if (url.origin === ownOrigin || (url.protocol !== 'http:' && url.protocol !== 'https:')) return undefined
  for (const listed of origins) if (sameHost(url.hostname, new URL(listed).hostname)) return listed
  return undefined
}

/** The origin and path of a URL: what a decision may show of it. */
export const shownUrl = (url: URL): string => url.origin + url.pathname
