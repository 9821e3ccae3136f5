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
  if (response.status !== 401) return false
  const challenge = response.headers.get('WWW-Authenticate') ?? ''
  return /(^|,)\s*DPoP\b/i.test(challenge) && /\berror\s*=\s*"?use_dpop_nonce"?/i.test(challenge)
}
