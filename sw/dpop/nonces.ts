/**
 * The nonces resource servers hand out (RFC 9449 §9), per origin: the latest `DPoP-Nonce` of any
 * response (2xx included, §8.2) goes into the next proof for that origin.
 */
export class DpopNonces {
  #byOrigin = new Map<string, string>()

  get(origin: string): string | undefined {
    return this.#byOrigin.get(origin)
  }

  /** Takes the response's `DPoP-Nonce`, when the API sends one and exposes it to CORS. */
  learn(origin: string, response: Response): void {
    const nonce = response.headers.get('DPoP-Nonce')
    // RFC 9449 §8.1: nonce = 1*NQCHAR, printable ASCII but the double quote and backslash.
    if (nonce && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(nonce) && nonce.length <= 1024) this.#byOrigin.set(origin, nonce)
  }
}

/**
 * Whether a response is the server asking for a proof with its nonce (RFC 9449 §9): a 401 whose
 * `WWW-Authenticate` has a DPoP challenge with `error="use_dpop_nonce"`. That is not a refused token:
 * it is retried once with the nonce, without asking the provider.
 */
export function asksForNonce(response: Response): boolean {
  return dpopError(response) === 'use_dpop_nonce'
}

/**
 * The error of a 401's DPoP challenge (RFC 9449 §7.1, §9): `use_dpop_nonce`, `invalid_dpop_proof`,
 * `invalid_token`…, or null for a 401 without one. Only `invalid_token` says the token is refused.
 */
export function dpopError(response: Response): string | null {
  if (response.status !== 401) return null
  const challenge = response.headers.get('WWW-Authenticate') ?? ''
  if (!/(^|,)\s*DPoP\b/i.test(challenge)) return null
  return /\berror\s*=\s*"?([a-z_]+)"?/i.exec(challenge.slice(challenge.search(/(^|,)\s*DPoP\b/i)))?.[1] ?? null
}
