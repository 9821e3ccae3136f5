import { vi } from 'vitest'
import { authorizedFetch } from '../../sw/authorizedFetch.js'
import { bindToken } from '../../sw/dpop/binding.js'

export const API = 'https://api.test'

/** A key pair as SDKs make them for DPoP: P-256, the private key non-extractable. */
export const keyPair = () => crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']) as Promise<CryptoKeyPair>

/** A worker's send path over a state holding `token` (DPoP-bound when `key` is given), and what reached the API. */
export async function setUp(token: string, key: CryptoKeyPair | null, answer: (request: Request, n: number) => Response) {
  const dpop = key && (await bindToken(token, key))
  const state: any = { loaded: true, known: true, token, header: `${dpop ? 'DPoP' : 'Bearer'} ${token}`, dpop, logouts: 0, generation: 0, clockOffset: 0, load: async () => {} }
  const refresher: any = { inFlight: undefined, run: vi.fn(async () => 'refreshed'), accepted() {}, rejected: vi.fn() }
  vi.stubGlobal('self', { clients: { get: async () => undefined } })
  const sent: Request[] = []
  vi.stubGlobal('fetch', async (request: Request) => {
    sent.push(request)
    const response = answer(request, sent.length)
    Object.defineProperty(response, 'url', { value: request.url })
    return response
  })
  const { send } = authorizedFetch({ origins: new Set([API]), state, refresher, expiry: { due: () => false, check: async () => {} } as any })
  return { send, sent, refresher, state }
}
