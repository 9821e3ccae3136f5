import { createHash, randomBytes } from 'node:crypto'
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWTPayload } from 'jose'

/**
 * How a resource server checks a DPoP proof (RFC 9449 §4.3, §7.1), for the verifying API:
 * each failure is named, so a test reads why a request was refused from the API's log.
 */

/** Why a proof was refused: the API logs it as the 401's reason. */
export type ProofFailure =
  | 'no proof'
  | 'multiple proofs'
  | 'proof typ'
  | 'proof alg'
  | 'proof signature'
  | 'proof claims'
  | 'htm'
  | 'htu'
  | 'iat'
  | 'bad ath'
  | 'jkt mismatch'
  | 'nonce'
  | 'replayed jti'

/** What any key the SDKs and the worker make can sign with; never `none` nor a MAC. */
export const PROOF_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519']

export interface ProofContext {
  /** The `DPoP` request header(s) as Node gives them: several are joined with ', '. */
  header: string | string[] | undefined
  method: string
  /** The request's URL as the browser addressed it (the API's own origin), query and fragment included. */
  url: string
  token: string
  /** The access token's `cnf.jkt`: the thumbprint of the key it is bound to. */
  jkt: string
  /** The API's clock, seconds since the epoch. */
  now: number
  /** How far `iat` may be from `now`, in seconds either way. */
  iatWindow: number
  /** The nonce a proof must carry, when the API asks for one. */
  nonce: string | undefined
  /** Every proof `jti` accepted so far: one seen again is a replay. */
  seen: Set<string>
}

export type ProofResult = { ok: true; jti: string } | { ok: false; reason: ProofFailure; jti?: string }

/**
 * Checks one proof; a proof accepted has its `jti` added to `seen`. The replay check comes last,
 * as oidc-provider does it: a proof refused for another reason does not use its `jti` up.
 */
export async function checkDpopProof(context: ProofContext): Promise<ProofResult> {
  const { header } = context
  if (header === undefined) return { ok: false, reason: 'no proof' }
  // A compact JWS has no comma, so one in the value means Node joined two headers (§4.3 allows one).
  if (Array.isArray(header) || header.includes(',')) return { ok: false, reason: 'multiple proofs' }
  let payload: JWTPayload
  let jwk: Parameters<typeof calculateJwkThumbprint>[0]
  try {
    // No exp or nbf in a proof as a rule; if there are, they are judged on the API's clock.
    const verified = await jwtVerify(header, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: PROOF_ALGS, currentDate: new Date(context.now * 1000) })
    payload = verified.payload
    jwk = verified.protectedHeader.jwk!
  } catch (error) {
    const { code, claim } = error as { code?: string; claim?: string }
    return { ok: false, reason: claim === 'typ' ? 'proof typ' : code === 'ERR_JOSE_ALG_NOT_ALLOWED' ? 'proof alg' : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' || code === 'ERR_JWT_EXPIRED' ? 'proof claims' : 'proof signature' }
  }
  const { jti, htm, htu, iat, ath, nonce } = payload as JWTPayload & { htm?: unknown; htu?: unknown; ath?: unknown; nonce?: unknown }
  if (typeof jti !== 'string' || !jti || typeof iat !== 'number') return { ok: false, reason: 'proof claims' }
  const refused = (reason: ProofFailure): ProofResult => ({ ok: false, reason, jti })
  if (htm !== context.method) return refused('htm')
  if (typeof htu !== 'string' || withoutQuery(htu) !== withoutQuery(context.url)) return refused('htu')
  if (Math.abs(context.now - iat) > context.iatWindow) return refused('iat')
  if (ath !== createHash('sha256').update(context.token).digest('base64url')) return refused('bad ath')
  if ((await calculateJwkThumbprint(jwk)) !== context.jkt) return refused('jkt mismatch')
  if (context.nonce !== undefined && nonce !== context.nonce) return refused('nonce')
  if (context.seen.has(jti)) return refused('replayed jti')
  context.seen.add(jti)
  return { ok: true, jti }
}

/**
 * §4.3: htu is compared without query and fragment, after the normalization RFC 3986 §6.2.2-3
 * allows; WHATWG URL parsing gives that (scheme and host case, default port, empty path).
 */
function withoutQuery(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

/** The API's DPoP-Nonce (§9): one at a time, replaced only when a test rotates it. */
export class ServerNonce {
  #value = ServerNonce.#fresh()

  get value(): string {
    return this.#value
  }

  rotate(): string {
    this.#value = ServerNonce.#fresh()
    return this.#value
  }

  static #fresh(): string {
    return randomBytes(16).toString('base64url')
  }
}
