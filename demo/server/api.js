import { randomBytes } from 'node:crypto'
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify } from 'jose'
import { plural, short } from './issuer.js'
import { listen, readJSON, sendJSON } from './http.js'

// A 401 is matched with the request that comes back with a new token within this window.
const RETRY_WINDOW_MS = 15_000

/**
 * @typedef {{ sub: string, sid: string, jti: string, iat: number, exp: number }} Caller
 * @typedef {{ id: string, text: string, createdAt: number }} Note
 * @typedef {{
 *   port: number,
 *   pageOrigins: readonly string[],
 *   issuerURL: string,
 *   jwksURL: string,
 *   audience: string,
 *   format: 'jwt' | 'opaque',
 *   issuer: Awaited<ReturnType<typeof import('./issuer.js').createIssuer>>,
 *   activity: import('./activity.js').Activity,
 * }} ApiOptions
 */

/**
 * The resource server, on its own origin. JWTs are verified with jose against the
 * issuer's published JWKS (signature, alg, iss, aud, exp), then checked against the
 * issuer's revocation list; opaque tokens are introspected. Anything else is a 401
 * with `WWW-Authenticate: Bearer error="invalid_token"`, as RFC 6750 says.
 *
 * @param {ApiOptions} options
 */
export async function startApi({ port, pageOrigins, issuerURL, jwksURL, audience, format, issuer, activity }) {
  const jwks = createRemoteJWKSet(new URL(jwksURL))
  const origins = new Set(pageOrigins)
  /** @type {Map<string, Note[]>} */
  const notes = new Map()
  /** @type {Map<string, Array<{ route: string, jti: string, at: number }>>} 401s awaiting their retry, by sid */
  const awaitingRetry = new Map()
  /** Every bearer token the API received, newest last, for tests to inspect. */
  const received = []

  /** @returns {Promise<{ ok: true, caller: Caller, alg: string } | { ok: false, reason: string, sid?: string, jti?: string }>} */
  async function authenticate(token) {
    if (format === 'opaque') {
      const answer = issuer.introspect(token)
      if (answer.active) return { ok: true, caller: answer.claims, alg: 'opaque' }
      return { ok: false, reason: answer.reason, sid: answer.claims?.sid, jti: answer.claims?.jti }
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: issuerURL,
        audience,
        algorithms: ['ES256'],
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
      })
      const caller = /** @type {Caller} */ (/** @type {unknown} */ (payload))
      if (issuer.isRevoked(caller.jti)) return { ok: false, reason: `token ${short(caller.jti)} was revoked`, sid: caller.sid, jti: caller.jti }
      return { ok: true, caller, alg: protectedHeader.alg }
    } catch (error) {
      // Unverified, and only used to tell the log which session a rejected token belonged to.
      const { sid, jti } = peek(token)
      return { ok: false, reason: describe(error, jti), sid, jti }
    }
  }

  const routes = {
    'GET /me': (caller) => ({
      status: 200,
      body: { sub: caller.sub, sid: caller.sid, name: issuer.nameOf(caller.sub) ?? null, tokenId: caller.jti, tokenIssuedAt: caller.iat, tokenExpiresAt: caller.exp },
    }),

    'GET /notes': (caller) => ({ status: 200, body: { notes: notesOf(caller.sub) } }),

    'POST /notes': (caller, body) => {
      const text = typeof body.text === 'string' ? body.text.trim() : ''
      if (!text || text.length > 280) return { status: 400, body: { error: 'text must be 1 to 280 characters' } }
      const note = { id: randomBytes(6).toString('base64url'), text, createdAt: Date.now() }
      notesOf(caller.sub).unshift(note)
      return { status: 201, body: { note } }
    },

    'POST /session/revoke': (caller) => {
      const count = issuer.revokeSession(caller.sid)
      const who = issuer.nameOf(caller.sub) ?? caller.sub
      const note = `Revoked ${plural(count, 'token')} of ${who}'s session: the next call gets a 401`
      return { status: 200, body: { revoked: count }, then: () => activity.add('api', 'revoke', note) }
    },
  }

  function notesOf(sub) {
    let list = notes.get(sub)
    if (!list) {
      const name = issuer.nameOf(sub) ?? 'there'
      list = [{ id: 'welcome', text: `Welcome, ${name}! This note came from the API, which only knows you by your bearer token.`, createdAt: Date.now() }]
      notes.set(sub, list)
    }
    return list
  }

  /** True when this successful request is the worker's retry of one that just got a 401. */
  function isRetry(caller, route) {
    const pending = (awaitingRetry.get(caller.sid) ?? []).filter((p) => Date.now() - p.at < RETRY_WINDOW_MS)
    const index = pending.findIndex((p) => p.route === route && p.jti !== caller.jti)
    if (index >= 0) pending.splice(index, 1)
    if (pending.length) awaitingRetry.set(caller.sid, pending)
    else awaitingRetry.delete(caller.sid)
    return index >= 0
  }

  async function handle(req, res) {
    const origin = req.headers.origin
    const cors = origin && origins.has(origin) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Vary: 'Origin' }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        ...cors,
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      })
      return res.end()
    }
    const headers = { ...cors, 'Access-Control-Expose-Headers': 'WWW-Authenticate' }
    const { pathname } = new URL(req.url ?? '/', 'http://api')
    const route = `${req.method} ${pathname}`
    if (route === 'GET /') return sendJSON(res, 200, { name: 'Jotter API', routes: Object.keys(routes) }, headers)
    const handler = routes[route]
    if (!handler) return sendJSON(res, 404, { error: 'not_found' }, headers)

    activity.counters.apiRequests++
    const match = /^Bearer ([!-~]+)$/.exec(req.headers.authorization ?? '')
    if (!match) {
      activity.counters.unauthorized++
      activity.add('api', 'unauthorized', `${route} arrived without a token: 401`)
      return sendJSON(res, 401, { error: 'unauthorized' }, { ...headers, 'WWW-Authenticate': 'Bearer realm="jotter-api"' })
    }
    const token = match[1]
    activity.counters.injected++
    const auth = await authenticate(token)
    received.push({ route, token, ok: auth.ok, at: Date.now() })
    if (received.length > 100) received.shift()
    if (!auth.ok) {
      activity.counters.unauthorized++
      activity.add('api', 'unauthorized', `${route}: 401 invalid_token, ${auth.reason}`)
      if (auth.sid && auth.jti) awaitingRetry.set(auth.sid, [...(awaitingRetry.get(auth.sid) ?? []), { route, jti: auth.jti, at: Date.now() }])
      const description = auth.reason.replace(/"/g, "'")
      return sendJSON(res, 401, { error: 'invalid_token', error_description: auth.reason }, {
        ...headers,
        'WWW-Authenticate': `Bearer realm="jotter-api", error="invalid_token", error_description="${description}"`,
      })
    }
    const { caller, alg } = auth
    const who = issuer.nameOf(caller.sub) ?? caller.sub
    const retry = isRetry(caller, route)
    const body = req.method === 'POST' ? await readJSON(req) : {}
    const result = handler(caller, body)
    if (retry) {
      activity.counters.retries++
      activity.add('api', 'retry', `${route}: retried with new token ${short(caller.jti)}, verified, ${result.status}`)
    } else {
      const how = alg === 'opaque' ? 'opaque token introspected' : `${alg} token verified against JWKS`
      activity.add('api', 'injected', `${route}: Bearer ${short(caller.jti)} injected by the worker, ${how} (${who}), ${result.status}`)
    }
    result.then?.()
    sendJSON(res, result.status, result.body, headers)
  }

  const server = await listen(handle, port)
  return { port: server.port, close: server.close, received }
}

function peek(token) {
  try {
    const { sid, jti } = decodeJwt(token)
    return { sid: typeof sid === 'string' ? sid : undefined, jti: typeof jti === 'string' ? jti : undefined }
  } catch {
    return {}
  }
}

function describe(error, jti) {
  const which = jti ? `token ${short(jti)}` : 'token'
  if (error instanceof errors.JWTExpired) return `${which} expired`
  if (error instanceof errors.JWTClaimValidationFailed) return `${which}: claim "${error.claim}" ${error.reason}`
  if (error instanceof errors.JWSSignatureVerificationFailed) return `${which}: signature does not verify`
  if (error instanceof errors.JOSEAlgNotAllowed) return `${which}: algorithm not allowed`
  if (error instanceof errors.JWKSNoMatchingKey) return `${which}: no matching key in the JWKS`
  return `${which} is not a valid JWT`
}
