/**
 * The origin `entry` names, when it is a bare http(s) origin (RFC 6454 §4) such as
 * `https://api.example.com`; null for anything else. A path, query, fragment or userinfo
 * would suggest a prefix match that this library never does, so those are refused too.
 */
export function bareOrigin(entry: unknown): string | null {
  // A wildcard is no origin: `https://*.example.com` parses in some URL parsers, and matches nothing.
  if (typeof entry !== 'string' || /[?#*]/.test(entry)) return null
  let url: URL
  try {
    url = new URL(entry)
  } catch {
    return null
  }
  const isHttp = url.protocol === 'https:' || url.protocol === 'http:'
  const isBare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password
  return isHttp && isBare ? url.origin : null
}

/**
 * An `apiOrigins` entry: a bare origin, which gets the default token, or an origin with the
 * resource whose token it gets (RFC 8707 §2 resource indicator; Auth0 calls it the audience).
 */
export type ApiOrigin = string | { readonly origin: string; readonly resource: string }

// RFC 8707 §2 asks for an absolute URI; Auth0 audiences may be any identifier. Either way the
// resource goes into the getter's context and a storage key: printable, one line, bounded.
const RESOURCE = /^[\x21-\x7e]{1,2048}$/

/**
 * The origin and resource an entry names, or null when it is neither a bare origin (see
 * bareOrigin) nor `{ origin, resource }` with a bare origin and a non-empty printable resource.
 */
export function parseApiOrigin(entry: unknown): { origin: string; resource: string | undefined } | null {
  if (typeof entry === 'string') {
    const origin = bareOrigin(entry)
    return origin === null ? null : { origin, resource: undefined }
  }
  if (typeof entry !== 'object' || entry === null) return null
  const { origin: named, resource } = entry as { origin?: unknown; resource?: unknown }
  const origin = bareOrigin(named)
  // `__proto__` would name an object's prototype, not a key, wherever resources are listed by name.
  return origin !== null && typeof resource === 'string' && RESOURCE.test(resource) && resource !== '__proto__' ? { origin, resource } : null
}

/** An entry as an error message shows it: JSON where it prints (not a BigInt, not a cycle), else String. */
export function describeEntry(entry: unknown): string {
  try {
    return JSON.stringify(entry) ?? String(entry)
  } catch {
    return String(entry)
  }
}

/**
 * The origin an `{ origin, resource }` list gives two different tokens, if any: which token an
 * origin gets must be unambiguous, in the worker and in the page's fallback alike.
 */
export function ambiguousOrigin(entries: ReadonlyArray<{ origin: string; resource: string | undefined }>): string | undefined {
  const seen = new Map<string, string | undefined>()
  for (const { origin, resource } of entries) {
    if (seen.has(origin) && seen.get(origin) !== resource) return origin
    seen.set(origin, resource)
  }
  return undefined
}
