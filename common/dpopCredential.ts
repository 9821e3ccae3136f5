import { assertBearerToken } from './bearerToken.js'
import { readClaims } from './claims.js'
import { SwBearerError } from './errors.js'

/**
 * A DPoP-bound access token (RFC 9449 §7) and the key pair it is bound to, as a getter returns
 * it. The private key must be non-extractable: no script, the app's or an injected one, can
 * take it elsewhere (Web Crypto's `extractable`); the worker only signs with it.
 */
export interface DpopCredential {
  token: string
  type: 'DPoP'
  key: CryptoKeyPair
}

const isKey = (value: unknown, type: KeyType): value is CryptoKey =>
  typeof CryptoKey === 'function' && value instanceof CryptoKey && value.type === type

/**
 * What a getter returned, checked: a token string (sent as Bearer), a DPoP credential, or
 * null for "nobody is signed in". Throws `invalid-token` for anything else, naming what is
 * wrong and never the token itself.
 */
export function readCredential(value: unknown): { token: string; key?: CryptoKeyPair } | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'object') {
    assertBearerBound(value)
    return { token: value }
  }
  const { token, type, key } = value as Partial<DpopCredential>
  if (type !== 'DPoP') throw new SwBearerError('invalid-token', `A token object must be { token, type: 'DPoP', key }; its type is ${JSON.stringify(type)}`)
  assertBearerToken(token)
  if (!isKey(key?.privateKey, 'private') || !isKey(key?.publicKey, 'public')) {
    throw new SwBearerError('invalid-token', 'A DPoP credential needs key: the CryptoKeyPair its token is bound to')
  }
  if (key.privateKey.extractable) {
    throw new SwBearerError('invalid-token', 'The DPoP private key is extractable: generate it with extractable false, so no script can export it')
  }
  if (!key.privateKey.usages.includes('sign')) throw new SwBearerError('invalid-token', "The DPoP private key cannot 'sign'")
  return { token, key }
}

/** Whether a JWT says it is DPoP-bound (RFC 9449 §6.1: `cnf.jkt`): such a token is never sent as Bearer. */
export function boundByClaims(token: string): boolean {
  const cnf = readClaims(token)?.cnf as { jkt?: unknown } | undefined
  return typeof cnf?.jkt === 'string'
}

/** A token to send as Bearer: a valid header value whose claims do not say it is DPoP-bound. */
export function assertBearerBound(value: unknown): asserts value is string {
  assertBearerToken(value)
  if (boundByClaims(value)) throw new SwBearerError('invalid-token', "The token is DPoP-bound (cnf.jkt): return { token, type: 'DPoP', key } with the key it is bound to")
}
