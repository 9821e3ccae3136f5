import type { ServerResponse } from 'node:http'
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import { serve, type Served } from '../httpServer.js'

export interface ApiLogEntry {
  status: 200 | 401
  /** Whether the request carried an Authorization header at all. */
  authorization: boolean
  /** Why a 401: no token, expired, revoked, or jose's error code. */
  reason?: string
  jti?: string
  /** The token's aud and sub as sent, verified or not: which API's token reached this one, and whose. */
  aud?: string
  sub?: string
}

export interface ApiCounters {
  ok: number
  unauthorized: number
  /** 401s to requests that carried no token: what a signed-out page sends. */
  withoutToken: number
  reasons: Record<string, number>
}

export interface VerifyingApi extends Served {
  origin: string
  log: ApiLogEntry[]
  /** Seconds the API's clock runs ahead of this machine's: tokens expire that much earlier for it. */
  skewSeconds: number
  /** Refuses every access token it has accepted so far, as a server-side revocation would. */
  revokeSeen(): number
  mark(): number
  counters(since?: number): ApiCounters
}

/**
 * The resource server: `GET /me` verifies the bearer token as a real API would (jose
 * jwtVerify against the provider's JWKS: ES256, typ at+jwt, iss, aud, exp) and answers
 * 200 with its claims or 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
 * `GET /hop?to=<url>` redirects there (307), to see what a redirect carries to another API;
 * with `redirected`, CORS also admits the `null` origin a browser sends after such a redirect.
 */
export async function startVerifyingApi(options: { issuer: string; jwksUri: string; audience: string; pageOrigin: string; redirected?: boolean }): Promise<VerifyingApi> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri))
  const log: ApiLogEntry[] = []
  const seen = new Set<string>()
  const revoked = new Set<string>()
  const allowed = new Set([options.pageOrigin, ...(options.redirected ? ['null'] : [])])
  const pageCors = {
    'Access-Control-Allow-Origin': options.pageOrigin,
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  }
  const served = await serve(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const origin = req.headers.origin
    const cors = origin && allowed.has(origin) ? { ...pageCors, 'Access-Control-Allow-Origin': origin } : pageCors
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end()
    const to = url.pathname === '/hop' ? url.searchParams.get('to') : null
    if (to) return void res.writeHead(307, { ...cors, Location: to }).end()
    if (url.pathname !== '/me') return void res.writeHead(404, cors).end()
    const header = req.headers.authorization
    const entry: ApiLogEntry = { status: 401, authorization: header !== undefined }
    log.push(entry)
    const deny = (reason: string) => {
      entry.reason = reason
      answer(res, 401, { ...cors, 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${reason}"` }, { error: 'invalid_token', reason })
    }
    if (!header?.startsWith('Bearer ')) return deny('no token')
    const token = header.slice(7)
    Object.assign(entry, unverified(token))
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        currentDate: new Date(Date.now() + api.skewSeconds * 1000),
      })
      if (revoked.has(String(payload.jti))) return deny('revoked')
      seen.add(String(payload.jti))
      entry.status = 200
      answer(res, 200, cors, { sub: payload.sub, aud: payload.aud, jti: payload.jti, exp: payload.exp })
    } catch (error) {
      const { code, claim } = error as { code?: string; claim?: string }
      deny(code === 'ERR_JWT_EXPIRED' ? 'expired' : claim === 'aud' ? 'wrong audience' : (code ?? 'invalid'))
    }
  })
  const api: VerifyingApi = {
    ...served,
    origin: `http://127.0.0.1:${served.port}`,
    log,
    skewSeconds: 0,
    revokeSeen() {
      for (const jti of seen) revoked.add(jti)
      return seen.size
    },
    mark: () => log.length,
    counters(since = 0) {
      const entries = log.slice(since)
      const denied = entries.filter((e) => e.status === 401)
      const reasons: Record<string, number> = {}
      for (const e of denied) reasons[e.reason!] = (reasons[e.reason!] ?? 0) + 1
      return {
        ok: entries.length - denied.length,
        unauthorized: denied.length,
        withoutToken: denied.filter((e) => !e.authorization).length,
        reasons,
      }
    },
  }
  return api
}

/** What the log keeps of a token before it is verified: a malformed one keeps nothing. */
function unverified(token: string): Pick<ApiLogEntry, 'jti' | 'aud' | 'sub'> {
  try {
    const { jti, aud, sub } = decodeJwt(token)
    return { jti: String(jti), aud: [aud ?? []].flat().join(' '), sub }
  } catch {
    return {}
  }
}

function answer(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body))
}
