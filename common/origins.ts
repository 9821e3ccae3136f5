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
