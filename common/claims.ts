import type { JWTPayload } from 'jose'
import { decode } from 'jose/base64url'

const utf8 = new TextDecoder()

/**
 * Unverified claims: the worker only needs `exp`; the API verifies the signature.
 * jose's base64url decoder, without decodeJwt's error classes: this file is the
 * only JWT parsing in the worker bundle, and it only has to say "claims or null".
 */
export function readClaims(token: string): JWTPayload | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null // opaque token
  try {
    const claims: unknown = JSON.parse(utf8.decode(decode(parts[1]!)))
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as JWTPayload) : null
  } catch {
    return null
  }
}
