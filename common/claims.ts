import type { JWTPayload } from 'jose'

const utf8 = new TextDecoder()

/**
 * Unverified claims: the worker needs `exp`, and both sides `cnf` (DPoP, RFC 9449 §6.1); the API
 * verifies the signature. The platform's `atob` (forgiving base64, padding optional) after the
 * base64url alphabet is mapped back (RFC 4648 §5): the page bundle carries no decoder of its own.
 */
export function readClaims(token: string): JWTPayload | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null // opaque token
  try {
    const bytes = Uint8Array.from(atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
    const claims: unknown = JSON.parse(utf8.decode(bytes))
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as JWTPayload) : null
  } catch {
    return null
  }
}
