import { randomBytes } from 'node:crypto'
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify } from 'jose'
import { listen, readJSON, sendJSON } from './http.js'

// A 401 is matched with the request that comes back with a new token within this window.
const RETRY_WINDOW_MS = 15_000

/** The few characters of a token id the log shows, so one token can be followed across lines. */
export const short = (jti) => `#${String(jti).slice(0, 6)}`

/**
 * @typedef {{ sub: string, jti: string, iat: number, exp: number, client_id?: string }} Caller
 * @typedef {{ id: string, text: string, createdAt: number }} Note
 * @typedef {{
 *   port: number,
 *   pageOrigins: readonly string[],
 *   issuer: string,
 *   jwksURL: string,
 *   audience: string,
 *   activity: import('./activity.js').Activity,
 * }} ApiOptions
 */

/**
 * The resource server, on its own origin. Access tokens are verified with jose against the
 * OpenID Provider's published JWKS (signature, `alg: ES256`, `typ: at+jwt`, iss, aud, exp),
 * then checked against the API's own revocation list. Anything else is a 401 with
 * `WWW-Authenticate: Bearer error="invalid_token"`, as RFC 6750 says.
 *
 * @param {ApiOptions} options
 */
export async function startApi({ port, pageOrigins, issuer, jwksURL, audience, activity }) {
  const jwks = createRemoteJWKSet(new URL(jwksURL))
  const origins = new Set(pageOrigins)
  /** @type {Map<string, Note[]>} */
  const notes = new Map()
  /** @type {Map<string, Set<string>>} the ids of the tokens accepted so far, by sub */
  const seen = new Map()
  /** @type {Set<string>} */
  const revoked = new Set()
  /** @type {Map<string, Array<{ route: string, jti: string, at: number }>>} 401s awaiting their retry, by sub */
  const awaitingRetry = new Map()
  /** Every bearer token the API received, newest last, for tests to inspect. */
  const received = []

  /** @returns {Promise<{ ok: true, caller: Caller, alg: string } | { ok: false, reason: string, sub?: string, jti?: string }>} */
  async function authenticate(token) {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      })
      const caller = /** @type {Caller} */ (/** @type {unknown} */ (payload))
      if (revoked.has(caller.jti)) return { ok: false, reason: `token ${short(caller.jti)} was revoked`, sub: caller.sub, jti: caller.jti }
      let ids = seen.get(caller.sub)
      if (!ids) seen.set(caller.sub, (ids = new Set()))
      ids.add(caller.jti)
      return { ok: true, caller, alg: protectedHeader.alg ?? '?' }
    } catch (error) {
      // Unverified, and only used to tell the log whose rejected token it was.
      const { sub, jti } = peek(token)
      return { ok: false, reason: describe(error, jti), sub, jti }
    }
  }

  /** Refuses from now on every token of `sub` accepted so far. The provider is not told: its refresh token still works. */
  function revokeTokensOf(sub) {
    const ids = seen.get(sub) ?? new Set()
    for (const jti of ids) revoked.add(jti)
    seen.delete(sub)
    return ids.size
  }

  const routes = {
    'GET /me': (caller) => ({
      status: 200,
      // The provider's account id is the name typed on its login page.
      body: { sub: caller.sub, name: caller.sub, clientId: caller.client_id ?? null, tokenId: caller.jti, tokenIssuedAt: caller.iat, tokenExpiresAt: caller.exp },
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
      const count = revokeTokensOf(caller.sub)
      const note = `Revoked ${plural(count, 'access token')} of ${caller.sub}'s: the API refuses them now, so the next call gets a 401`
      return { status: 200, body: { revoked: count }, then: () => activity.add('api', 'revoke', note) }
    },
  }

  function notesOf(sub) {
    let list = notes.get(sub)
    if (!list) {
      list = [{ id: 'welcome', text: `Welcome, ${sub}! This note came from the API, which only knows you by your bearer token.`, createdAt: Date.now() }]
      notes.set(sub, list)
    }
    return list
  }

  /** True when this successful request is the worker's retry of one that just got a 401. */
  function isRetry(caller, route) {
    const pending = (awaitingRetry.get(caller.sub) ?? []).filter((p) => Date.now() - p.at < RETRY_WINDOW_MS)
    const index = pending.findIndex((p) => p.route === route && p.jti !== caller.jti)
    if (index >= 0) pending.splice(index, 1)
    if (pending.length) awaitingRetry.set(caller.sub, pending)
    else awaitingRetry.delete(caller.sub)
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
      if (auth.sub && auth.jti) awaitingRetry.set(auth.sub, [...(awaitingRetry.get(auth.sub) ?? []), { route, jti: auth.jti, at: Date.now() }])
      const description = auth.reason.replace(/"/g, "'")
      return sendJSON(res, 401, { error: 'invalid_token', error_description: auth.reason }, {
        ...headers,
        'WWW-Authenticate': `Bearer realm="jotter-api", error="invalid_token", error_description="${description}"`,
      })
    }
    const { caller, alg } = auth
    const retry = isRetry(caller, route)
    const body = req.method === 'POST' ? await readJSON(req) : {}
    const result = handler(caller, body)
    if (retry) {
      activity.counters.retries++
      activity.add('api', 'retry', `${route}: retried with new token ${short(caller.jti)}, verified, ${result.status}`)
    } else {
      activity.add('api', 'injected', `${route}: Bearer ${short(caller.jti)} injected by the worker, ${alg} token verified against the provider's JWKS (${caller.sub}), ${result.status}`)
    }
    result.then?.()
    sendJSON(res, result.status, result.body, headers)
  }

  const server = await listen(handle, port)
  return { port: server.port, close: server.close, received }
}

function peek(token) {
  try {
    const { sub, jti } = decodeJwt(token)
    return { sub: typeof sub === 'string' ? sub : undefined, jti: typeof jti === 'string' ? jti : undefined }
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
  if (error instanceof errors.JWKSTimeout) return `${which}: the provider's JWKS did not answer`
  return `${which} is not a valid JWT`
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
