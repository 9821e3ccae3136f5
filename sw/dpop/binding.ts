import { accessTokenHash, proofSigner, type ProofSigner } from './proof.js'

/**
 * What sending one DPoP-bound token needs (RFC 9449 §7), made once per token: the key pair it is
 * bound to (kept as is in IndexedDB: CryptoKeys store without being exported), the signer with
 * its header, and the token's `ath`.
 */
export interface DpopBinding {
  key: CryptoKeyPair
  sign: ProofSigner
  ath: string
}

/** The binding of `token` to `key`, or null when the key cannot sign proofs. */
export async function bindToken(token: string, key: CryptoKeyPair): Promise<DpopBinding | null> {
  const sign = await proofSigner(key).catch(() => null)
  return sign && { key, sign, ath: await accessTokenHash(token) }
}
