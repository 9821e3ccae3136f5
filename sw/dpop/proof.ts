import { encode } from 'jose/base64url'

/**
 * DPoP proofs (RFC 9449 §4): a JWT signed by the key the token is bound to, made fresh for each
 * request. What depends only on the key (the protected header with its public `jwk`) is made
 * once per key; what depends on the token (`ath`) once per token; each request signs the rest.
 */

/** The claims of one proof (RFC 9449 §4.2). */
export interface ProofClaims {
  /** Unique per proof: the server refuses a replay. */
  jti: string
  /** The request's method. */
  htm: string
  /** The request's URL without query and fragment (see htu). */
  htu: string
  /** Seconds since the epoch, on the server's clock as far as it is known. */
  iat: number
  /** base64url(SHA-256(access token)): binds the proof to the token (§4.2, §7). */
  ath: string
  /** The server's latest `DPoP-Nonce`, when it gave one (§8, §9). */
  nonce?: string
}

/** Signs proofs with one key pair; `undefined` for a key it cannot use. */
export type ProofSigner = (claims: ProofClaims) => Promise<string>

const utf8 = new TextEncoder()
const b64 = (data: string | ArrayBuffer) => encode(typeof data === 'string' ? utf8.encode(data) : new Uint8Array(data))

type SignParams = AlgorithmIdentifier | EcdsaParams | RsaPssParams

/**
 * The JWS `alg` (RFC 7518 §3.1; EdDSA RFC 8037) and WebCrypto sign parameters for a private key:
 * ES256 (what auth0-spa-js, oidc-client-ts and okta-auth-js make), ES384, ES512, RS*, PS*, EdDSA.
 */
function algorithmOf(key: CryptoKey): { alg: string; params: SignParams } | null {
  // The members of Web Crypto's EcKeyAlgorithm and RsaHashedKeyAlgorithm, which the worker's lib leaves out.
  const algorithm = key.algorithm as KeyAlgorithm & { namedCurve?: string; hash?: { name: string } }
  // JWA names RS, PS and ES for SHA-256, -384 and -512 only (RFC 7518 §3.1): SHA-1 would be RS1.
  const bits = ['SHA-256', 'SHA-384', 'SHA-512'].includes(algorithm.hash?.name ?? '') ? algorithm.hash!.name.slice(4) : undefined
  switch (algorithm.name) {
    case 'ECDSA': {
      const size = ({ 'P-256': '256', 'P-384': '384', 'P-521': '512' } as Record<string, string>)[algorithm.namedCurve ?? '']
      return size ? { alg: `ES${size}`, params: { name: 'ECDSA', hash: `SHA-${size}` } } : null
    }
    case 'RSASSA-PKCS1-v1_5':
      return bits ? { alg: `RS${bits}`, params: { name: algorithm.name } } : null
    case 'RSA-PSS':
      // RFC 7518 §3.5: the salt is as long as the hash.
      return bits ? { alg: `PS${bits}`, params: { name: 'RSA-PSS', saltLength: Number(bits) / 8 } } : null
    case 'Ed25519':
      return { alg: 'EdDSA', params: { name: 'Ed25519' } }
    default:
      return null
  }
}

/** The public members of a JWK (RFC 7517 §4, RFC 7518 §6): nothing private ever goes into a proof. */
function publicJwk(jwk: JsonWebKey): JsonWebKey {
  const { kty, crv, x, y, n, e } = jwk
  const members = kty === 'RSA' ? { kty, n, e } : kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x }
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined))
}

/**
 * A signer for `keys`, or null when the private key cannot sign proofs (a key for another use or
 * algorithm). The public key is exported for the header: public keys always are exportable.
 */
export async function proofSigner(keys: CryptoKeyPair): Promise<ProofSigner | null> {
  const algorithm = algorithmOf(keys.privateKey)
  if (!algorithm || !keys.privateKey.usages.includes('sign')) return null
  // The public half must be the private half's (a proof's jwk is what the server verifies it with).
  if (algorithmOf(keys.publicKey)?.alg !== algorithm.alg) return null
  const jwk = publicJwk(await crypto.subtle.exportKey('jwk', keys.publicKey))
  const header = b64(JSON.stringify({ typ: 'dpop+jwt', alg: algorithm.alg, jwk }))
  const sign = async (input: string) => crypto.subtle.sign(algorithm.params, keys.privateKey, utf8.encode(input))
  // Once per key: the jwk in the header verifies what the private key signs, or every proof would fail.
  const verifier = await crypto.subtle.importKey('jwk', jwk, keys.publicKey.algorithm, false, ['verify'])
  if (!(await crypto.subtle.verify(algorithm.params, verifier, await sign(header), utf8.encode(header)))) return null
  return async (claims) => {
    const input = `${header}.${b64(JSON.stringify(claims))}`
    return `${input}.${b64(await sign(input))}`
  }
}

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the token's ASCII bytes. */
export async function accessTokenHash(token: string): Promise<string> {
  return b64(await crypto.subtle.digest('SHA-256', utf8.encode(token)))
}

/** `htu` (RFC 9449 §4.2): the request's URL without query and fragment. */
export function targetUri(url: string): string {
  const target = new URL(url)
  target.search = ''
  target.hash = ''
  return target.href
}
