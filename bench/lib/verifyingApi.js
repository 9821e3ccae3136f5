import { createRemoteJWKSet, jwtVerify } from 'jose'
import { serve } from './servers.js'

/**
 * The resource server of the rotation and startup rows: `GET /data` verifies the bearer
 * token as a real API does (jose against the provider's JWKS: ES256, at+jwt, iss, aud,
 * exp) and answers 200 or 401. `revokeSeen()` refuses every token it has accepted so far,
 * the way a server-side revocation list would: JWTs do not die at the provider.
 *
 * @param {{ issuer: string, jwksUri: string, audience: string, pageOrigin: string }} options
 */
export async function startVerifyingApi({ issuer, jwksUri, audience, pageOrigin }) {
  const jwks = createRemoteJWKSet(new URL(jwksUri))
  const seen = new Set()
  const revoked = new Set()
  const counts = { ok: 0, unauthorized: 0 }
  const cors = {
    'Access-Control-Allow-Origin': pageOrigin,
    'Access-Control-Allow-Headers': 'Authorization',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  }
  const answer = (res, status, headers, body) =>
    void res.writeHead(status, { ...cors, ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(body)

  const served = await serve(async (req, res) => {
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end()
    const header = req.headers.authorization
    try {
      if (!header?.startsWith('Bearer ')) throw new Error('no token')
      const { payload } = await jwtVerify(header.slice(7), jwks, { issuer, audience, typ: 'at+jwt', algorithms: ['ES256'] })
      if (revoked.has(payload.jti)) throw new Error('revoked')
      seen.add(payload.jti)
      counts.ok++
      answer(res, 200, {}, '{"items":[1,2,3]}')
    } catch {
      counts.unauthorized++
      answer(res, 401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' }, '{"error":"invalid_token"}')
    }
  })
  return {
    ...served,
    origin: `http://127.0.0.1:${served.port}`,
    counts,
    resetCounts: () => Object.assign(counts, { ok: 0, unauthorized: 0 }),
    /** Every access token accepted so far now earns a 401; returns how many were not yet revoked. */
    revokeSeen() {
      const before = revoked.size
      for (const jti of seen) revoked.add(jti)
      return revoked.size - before
    },
  }
}
