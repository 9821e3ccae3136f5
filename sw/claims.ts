import { decodeJwt, type JWTPayload } from 'jose'

/** Unverified claims: the worker only needs `exp`; the API verifies the signature. */
export function readClaims(token: string): JWTPayload | null {
  try {
    return decodeJwt(token)
  } catch {
    return null // opaque token
  }
}
