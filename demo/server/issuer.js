import { createHash, randomBytes } from 'node:crypto'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { readCookie, readJSON, sendJSON } from './http.js'

const COOKIE = 'jotter_session'

/** The few characters of a token id the log shows, so one token can be followed across lines. */
export const short = (jti) => `#${String(jti).slice(0, 6)}`

/**
 * @typedef {{ sid: string, sub: string, name: string, jtis: Set<string> }} Session
 * @typedef {{ iss: string, aud: string, sub: string, sid: string, jti: string, iat: number, exp: number }} Claims
 * @typedef {{
 *   issuerURL: string,
 *   audience: string,
 *   lifetimeSeconds: number,
 *   format: 'jwt' | 'opaque',
 *   activity: import('./activity.js').Activity,
 * }} IssuerOptions
 */

/**
 * A stand-in for Privy, Auth0 and friends: a name-only login with a session cookie,
 * and a token endpoint that mints short-lived ES256 access tokens (Privy's claim set
 * plus `jti`, which lets the API revoke single tokens) or opaque ones.
 *
 * @param {IssuerOptions} options
 */
export async function createIssuer({ issuerURL, audience, lifetimeSeconds, format, activity }) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const jwks = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] }

  /** @type {Map<string, Session>} keyed by cookie value */
  const sessions = new Map()
  /** @type {Map<string, string>} sub → display name, what a /userinfo endpoint would answer */
  const people = new Map()
  /** @type {Set<string>} */
  const revoked = new Set()
  /** @type {Map<string, Claims>} opaque token → what introspection answers */
  const opaque = new Map()

  async function mint(session) {
    const iat = Math.floor(Date.now() / 1000)
    const claims = { iss: issuerURL, aud: audience, sub: session.sub, sid: session.sid, jti: id(9), iat, exp: iat + lifetimeSeconds }
    session.jtis.add(claims.jti)
    if (format === 'opaque') {
      const token = `opq_${id(32)}`
      opaque.set(token, claims)
      return { token, claims }
    }
    const token = await new SignJWT({ sid: claims.sid })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
      .setIssuer(claims.iss)
      .setAudience(claims.aud)
      .setSubject(claims.sub)
      .setJti(claims.jti)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(privateKey)
    return { token, claims }
  }

  /** @returns {number} how many tokens were revoked */
  function revokeTokensOf(session) {
    for (const jti of session.jtis) revoked.add(jti)
    return session.jtis.size
  }

  const routes = {
    'GET /.well-known/jwks.json': (req, res) => sendJSON(res, 200, jwks, { 'Cache-Control': 'public, max-age=300' }),

    'GET /.well-known/openid-configuration': (req, res) =>
      sendJSON(res, 200, { issuer: issuerURL, jwks_uri: `${issuerURL}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['ES256'] }),

    'POST /auth/login': async (req, res) => {
      const name = String((await readJSON(req)).name ?? '').trim().slice(0, 40)
      if (!name) return sendJSON(res, 400, { error: 'name_required' })
      const sub = `did:demo:${createHash('sha256').update(name.toLowerCase()).digest('hex').slice(0, 20)}`
      const session = { sid: `ses_${id(9)}`, sub, name, jtis: new Set() }
      const cookie = id(24)
      sessions.set(cookie, session)
      people.set(sub, name)
      activity.add('issuer', 'login', `${name} signed in (session ${session.sid.slice(0, 10)}…)`)
      sendJSON(res, 200, { name, sub }, { 'Set-Cookie': `${COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Lax` })
    },

    'POST /auth/logout': (req, res) => {
      const cookie = readCookie(req, COOKIE)
      const session = cookie && sessions.get(cookie)
      if (session) {
        sessions.delete(cookie)
        const count = revokeTokensOf(session)
        activity.add('issuer', 'logout', `${session.name} signed out: session ended, ${plural(count, 'token')} revoked`)
      }
      sendJSON(res, 200, { ok: true }, { 'Set-Cookie': `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` })
    },

    // What the page's getAccessToken calls, like an SDK's silent refresh.
    'POST /auth/token': async (req, res) => {
      activity.counters.providerCalls++
      const cookie = readCookie(req, COOKIE)
      const session = cookie && sessions.get(cookie)
      if (!session) {
        activity.add('issuer', 'signed-out', 'getAccessToken: no session, so null (signed out)')
        // Not an error status: "nobody is signed in" is an ordinary answer, like Privy's null.
        return sendJSON(res, 200, { access_token: null, error: 'login_required' })
      }
      const { token, claims } = await mint(session)
      activity.counters.tokensMinted++
      const kind = format === 'opaque' ? 'opaque token' : 'ES256 token'
      activity.add('issuer', 'token', `getAccessToken: issued ${kind} ${short(claims.jti)} to ${session.name}, valid ${lifetimeSeconds} s`)
      sendJSON(res, 200, { access_token: token, token_type: 'Bearer', expires_in: lifetimeSeconds })
    },
  }

  return {
    jwksURL: `${issuerURL}/.well-known/jwks.json`,

    /**
     * Answers the issuer's routes; false for anything else.
     * @param {import('node:http').IncomingMessage} req
     * @param {import('node:http').ServerResponse} res
     */
    async handle(req, res, pathname) {
      const route = routes[`${req.method} ${pathname}`]
      if (!route) return false
      await route(req, res)
      return true
    },

    isRevoked: (jti) => revoked.has(jti),

    /** Revokes every token issued so far in the session `sid`; the session itself lives on. */
    revokeSession(sid) {
      for (const session of sessions.values()) if (session.sid === sid) return revokeTokensOf(session)
      return 0
    },

    /**
     * Token introspection for opaque tokens. A real one (RFC 7662) says only
     * `active: false`; this one also says why, for the demo's log.
     * @returns {{ active: true, claims: Claims } | { active: false, reason: string, claims?: Claims }}
     */
    introspect(token) {
      const claims = opaque.get(token)
      if (!claims) return { active: false, reason: 'unknown token' }
      if (revoked.has(claims.jti)) return { active: false, reason: `token ${short(claims.jti)} was revoked`, claims }
      if (claims.exp <= Date.now() / 1000) return { active: false, reason: `token ${short(claims.jti)} expired`, claims }
      return { active: true, claims }
    },

    /** @returns {string | undefined} */
    nameOf: (sub) => people.get(sub),
  }
}

function id(bytes) {
  return randomBytes(bytes).toString('base64url')
}

export function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
