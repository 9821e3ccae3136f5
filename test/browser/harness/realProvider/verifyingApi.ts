import type { ServerResponse } from 'node:http'
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose'
import { serve, type Served } from '../httpServer.js'
import { checkDpopProof, PROOF_ALGS, ServerNonce } from './dpopProofCheck.js'

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
  /** With `dpop`: the Authorization scheme as sent ('DPoP', 'Bearer', or whatever else came). */
  scheme?: string
  /** With `dpop`: whether the request carried a `DPoP` proof header. */
  proof?: boolean
  /**
   * With `dpop`: the request's `Authorization` and `DPoP` headers exactly as they came, so a test can
   * read the proof's claims or send the very same request again (a replay).
   */
  headers?: { authorization?: string; dpop?: string | string[] }
}

export interface ApiCounters {
  ok: number
  unauthorized: number
  /** 401s to requests that carried no token: what a signed-out page sends. */
  withoutToken: number
  reasons: Record<string, number>
  /** Requests that carried a `DPoP` proof header, whatever became of them. */
  proofs: number
  /** 401s with `error="use_dpop_nonce"`: proofs without the API's current nonce. */
  useDpopNonce: number
}

export interface DpopApiOptions {
  /** Proofs must carry the API's nonce, which every answer brings in `DPoP-Nonce` (default false). */
  nonce?: boolean
  /** How far a proof's `iat` may be from the API's clock, in seconds either way (default 60). */
  iatWindowSeconds?: number
}

export interface VerifyingApiOptions {
  issuer: string
  jwksUri: string
  audience: string
  pageOrigin: string
  redirected?: boolean
  /** Verify as a DPoP resource server (RFC 9449 §7); `true` is `{}`. Off by default: Bearer only. */
  dpop?: boolean | DpopApiOptions
}

export interface VerifyingApi extends Served {
  origin: string
  log: ApiLogEntry[]
  /** Seconds the API's clock runs ahead of this machine's: tokens expire that much earlier for it. */
  skewSeconds: number
  /** Refuses every access token it has accepted so far, as a server-side revocation would. */
  revokeSeen(): number
  /** With `dpop: { nonce: true }`: the nonce proofs must carry now. */
  readonly dpopNonce: string | undefined
  /** A new nonce (with `dpop: { nonce: true }`): proofs with the old one get `use_dpop_nonce`. */
  rotateNonce(): string
  mark(): number
  counters(since?: number): ApiCounters
}

/**
 * The resource server: `GET /me` verifies the bearer token as a real API would (jose
 * jwtVerify against the provider's JWKS: ES256, typ at+jwt, iss, aud, exp) and answers
 * 200 with its claims or 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
 * `GET /hop?to=<url>` redirects there (307), to see what a redirect carries to another API;
 * with `redirected`, CORS also admits the `null` origin a browser sends after such a redirect.
 *
 * `dpop` (RFC 9449 §7): a token bound to a key (`cnf.jkt`) is taken only as `Authorization: DPoP`
 * with a proof that dpopProofCheck accepts; sent as Bearer it is refused (§7.2). Unbound tokens are
 * still taken as Bearer, as an API does while its apps move to DPoP. With `nonce`, a proof without
 * the current nonce gets `use_dpop_nonce` (§9) and every answer, 200 included, carries the nonce.
 */
export async function startVerifyingApi(options: VerifyingApiOptions): Promise<VerifyingApi> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri))
  const log: ApiLogEntry[] = []
  const seen = new Set<string>()
  const revoked = new Set<string>()
  const dpop = options.dpop ? { nonce: false, iatWindowSeconds: 60, ...(options.dpop === true ? {} : options.dpop) } : null
  const nonce = dpop?.nonce ? new ServerNonce() : null
  const proofJtis = new Set<string>()
  const allowed = new Set([options.pageOrigin, ...(options.redirected ? ['null'] : [])])
  const pageCors: Record<string, string> = {
    'Access-Control-Allow-Origin': options.pageOrigin,
    'Access-Control-Allow-Headers': dpop ? 'Authorization, Content-Type, DPoP' : 'Authorization, Content-Type',
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Max-Age': '600',
    // A cross-origin page (or worker) reads neither header unless it is exposed.
    ...(dpop && { 'Access-Control-Expose-Headers': 'DPoP-Nonce, WWW-Authenticate' }),
    Vary: 'Origin',
  }
  const clock = () => Date.now() + api.skewSeconds * 1000
  /** The access token verified (whatever the scheme), or why not. */
  const verifyToken = async (token: string): Promise<JWTPayload | string> => {
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: options.issuer, audience: options.audience, typ: 'at+jwt', algorithms: ['ES256'], currentDate: new Date(clock()) })
      return revoked.has(String(payload.jti)) ? 'revoked' : payload
    } catch (error) {
      const { code, claim } = error as { code?: string; claim?: string }
      return code === 'ERR_JWT_EXPIRED' ? 'expired' : claim === 'aud' ? 'wrong audience' : (code ?? 'invalid')
    }
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
    // §8.2: the nonce rides on every answer, so a client has it before it is asked for it.
    const headers = nonce ? { ...cors, 'DPoP-Nonce': nonce.value } : cors
    const bearer = (reason: string) => `Bearer error="invalid_token", error_description="${reason}"`
    const deny = (reason: string, challenge = bearer(reason)) => {
      entry.reason = reason
      // With DPoP on, an API says it takes both schemes (§7.1, §7.2): a challenge for each.
      const both = dpop && !challenge.startsWith('DPoP') ? [challenge, `DPoP algs="${PROOF_ALGS.join(' ')}"`] : challenge
      answer(res, 401, { ...headers, 'WWW-Authenticate': both }, { error: /error="([^"]+)"/.exec(challenge)?.[1], reason })
    }
    const allow = (payload: JWTPayload) => {
      seen.add(String(payload.jti))
      entry.status = 200
      answer(res, 200, headers, { sub: payload.sub, aud: payload.aud, jti: payload.jti, exp: payload.exp })
    }
    if (!dpop) {
      if (!header?.startsWith('Bearer ')) return deny('no token')
      const token = header.slice(7)
      Object.assign(entry, unverified(token))
      const verified = await verifyToken(token)
      return typeof verified === 'string' ? deny(verified) : allow(verified)
    }
    const [scheme = '', token = ''] = header?.split(' ') ?? []
    Object.assign(entry, { scheme, proof: req.headers.dpop !== undefined, headers: { authorization: header, dpop: req.headers.dpop } })
    // RFC 9110 §11.1: the scheme is case-insensitive.
    const dpopScheme = scheme.toLowerCase() === 'dpop'
    if (!token || (!dpopScheme && scheme.toLowerCase() !== 'bearer')) return deny('no token')
    Object.assign(entry, unverified(token))
    const verified = await verifyToken(token)
    const dpopChallenge = (error: string, reason: string) => `DPoP error="${error}", error_description="${reason}", algs="${PROOF_ALGS.join(' ')}"`
    if (typeof verified === 'string') return deny(verified, dpopScheme ? dpopChallenge('invalid_token', verified) : bearer(verified))
    const jkt = (verified.cnf as { jkt?: unknown } | undefined)?.jkt
    if (!dpopScheme) return typeof jkt === 'string' ? deny('bearer for dpop token') : allow(verified)
    if (typeof jkt !== 'string') return deny('token not bound', dpopChallenge('invalid_token', 'token not bound'))
    const proof = await checkDpopProof({
      header: req.headers.dpop,
      method: req.method ?? 'GET',
      url: new URL(req.url ?? '/', api.origin).href,
      token,
      jkt,
      now: Math.floor(clock() / 1000),
      iatWindow: dpop.iatWindowSeconds,
      nonce: nonce?.value,
      seen: proofJtis,
    })
    if (proof.ok) return allow(verified)
    deny(proof.reason, dpopChallenge(proof.reason === 'nonce' ? 'use_dpop_nonce' : 'invalid_dpop_proof', proof.reason))
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
    get dpopNonce() {
      return nonce?.value
    },
    rotateNonce() {
      if (!nonce) throw new TypeError('rotateNonce: the API was started without dpop: { nonce: true }')
      return nonce.rotate()
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
        proofs: entries.filter((e) => e.proof).length,
        useDpopNonce: reasons.nonce ?? 0,
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

function answer(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: unknown): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body))
}
