// A real OpenID Provider (panva's oidc-provider) on loopback, set up the way SPA SDKs
// expect one: a public PKCE client, rotating refresh tokens, ES256 JWT access tokens for
// one API audience or several (RFC 8707 resource indicators), Auth0's paths. Its log counts
// what happens at the token endpoint, so tests and the demo judge an SDK by what reached the
// provider, not by its internals.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { errors } from 'oidc-provider'

/**
 * @typedef {{
 *   port?: number,
 *   pageOrigins: string[],
 *   redirectUris: string[],
 *   postLogoutRedirectUris?: string[],
 *   audience?: string,
 *   audiences?: string[],
 *   accessTokenTtl: number,
 *   issuerSlash?: boolean,
 *   login?: 'auto' | 'form',
 *   dpop?: boolean | { nonce?: boolean, required?: boolean },
 * }} OpenIdProviderOptions
 *
 * @typedef {{
 *   at: number,
 *   event: 'token-request' | 'token' | 'login' | 'grant-revoked' | 'server-error',
 *   grant?: string,
 *   resource?: string,
 *   ok?: boolean,
 *   error?: string,
 *   detail?: string,
 *   dpop?: boolean,
 *   tokenType?: string,
 * }} ProviderLogEntry
 *
 * @typedef {{
 *   tokenRequests: number,
 *   codeOk: number,
 *   refreshOk: number,
 *   refreshesFor: Record<string, number>,
 *   refreshErrors: string[],
 *   invalidGrant: number,
 *   grantRevoked: number,
 *   logins: number,
 *   serverErrors: string[],
 *   dpopTokenRequests: number,
 *   dpopTokens: number,
 *   useDpopNonce: number,
 *   invalidDpopProof: number,
 * }} ProviderCounters
 */

export const CLIENT_ID = 'spa'

/**
 * Starts the provider on http://localhost:<port> (port 0: a free one). One public client,
 * `spa`; every token request gets access tokens for `audience` (a default resource
 * indicator), so oidc-client-ts (`resource`), auth0-spa-js (`audience`) and okta-auth-js
 * (neither) all receive the same kind of token. `audiences` instead: several APIs, the first
 * the default; a request naming another (`resource`, RFC 8707) gets a token for that one.
 * `login: 'auto'` (default): whoever reaches /interaction is signed in as their `login_hint`
 * (or `alice`); `login: 'form'`: a login page asks for a name (no password) and signs in as
 * that. Either consents to everything asked. `issuerSlash` ends the issuer in '/', as
 * auth0-spa-js insists.
 * `dpop` (RFC 9449; see dpopFeature): the client must prove a key at the token endpoint, which
 * binds its access and refresh tokens to it, and the endpoint hands out nonces.
 *
 * @param {OpenIdProviderOptions} options
 */
export async function startOpenIdProvider(options) {
  const { port = 0, pageOrigins, redirectUris, postLogoutRedirectUris = [], issuerSlash = false } = options
  const audiences = options.audiences ?? (options.audience === undefined ? [] : [options.audience])
  if (audiences.length === 0) throw new TypeError('audience or audiences is required')
  const audience = audiences[0]
  const login = options.login ?? 'auto'
  if (login !== 'auto' && login !== 'form') throw new TypeError('login must be "auto" or "form"')
  /** @type {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void} */
  let handle = (_req, res) => void res.writeHead(503).end()
  const servers = await listenLoopback((req, res) => handle(req, res), port)
  const bound = /** @type {import('node:net').AddressInfo} */ (servers[0].address()).port
  const origin = `http://localhost:${bound}`
  const issuer = issuerSlash ? `${origin}/` : origin

  const t0 = Date.now()
  /** @type {ProviderLogEntry[]} */
  const log = []
  /** @param {Omit<ProviderLogEntry, 'at'>} entry */
  const note = (entry) => void log.push({ at: Date.now() - t0, ...entry })
  const state = { accessTokenTtl: options.accessTokenTtl, tokenDelayMs: 0 }
  const dpop = dpopFeature(options.dpop)

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        application_type: 'web',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: redirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris,
        ...dpop?.client,
      },
    ],
    jwks: await signingKeys(),
    // Auth0's paths, so auth0-spa-js can be pointed at it with `domain`.
    routes: {
      authorization: '/authorize',
      token: '/oauth/token',
      end_session: '/v2/logout',
      revocation: '/oauth/revoke',
      userinfo: '/userinfo',
      jwks: '/.well-known/jwks.json',
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    features: {
      devInteractions: { enabled: false },
      ...(dpop && { dPoP: dpop.feature }),
      revocation: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // The default page asks "Do you want to sign out?": answer yes, as the person would.
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html>${form}<script>const f = document.forms[0]
            f.append(Object.assign(document.createElement('input'), { type: 'hidden', name: 'logout', value: 'yes' })); f.submit()</script>`
        },
      },
      resourceIndicators: {
        enabled: true,
        // `oneOf`: a grant for several resources and a token request naming none; the default then.
        defaultResource: async (_ctx, _client, oneOf) => (oneOf && !oneOf.includes(audience) ? oneOf[0] : audience),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (!audiences.includes(indicator)) throw new errors.InvalidTarget()
          // Read per request, so a test can shorten or lengthen the next tokens' lifetime.
          return { scope: 'api:read', audience: indicator, accessTokenTTL: state.accessTokenTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }
        },
      },
    },
    clientBasedCORS: (_ctx, requestOrigin) => pageOrigins.includes(requestOrigin),
    // oidc-provider drops offline_access without prompt=consent; SPAs rarely send it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    ttl: { AccessToken: () => state.accessTokenTtl, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 86400, Grant: 86400 },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: id }),
    }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['loopback-only-cookie-key'] },
  })
  // The resource a token request asked for; none asked means the default one.
  const resourceOf = (ctx) => [ctx.oidc?.params?.resource ?? audience].flat().join(' ')
  provider.on('grant.success', (ctx) =>
    note({ event: 'token', grant: ctx.oidc.params?.grant_type, resource: resourceOf(ctx), ok: true, tokenType: ctx.body?.token_type }),
  )
  provider.on('grant.error', (ctx, err) =>
    note({ event: 'token', grant: ctx.oidc?.params?.grant_type, resource: resourceOf(ctx), ok: false, error: err.error, detail: err.error_detail ?? err.error_description }),
  )
  provider.on('grant.revoked', () => note({ event: 'grant-revoked' }))
  provider.on('server_error', (_ctx, err) => note({ event: 'server-error', detail: String(err?.stack ?? err) }))

  const callback = provider.callback()
  handle = (req, res) => {
    const path = new URL(req.url ?? '/', origin).pathname
    const interaction = /^\/interaction\/[^/]+$/.test(path) && (req.method === 'GET' || (login === 'form' && req.method === 'POST'))
    if (interaction) return void interact(provider, req, res, note, login).catch((e) => res.writeHead(500).end(String(e)))
    if (path === '/oauth/token' && req.method === 'POST') {
      note({ event: 'token-request', dpop: req.headers.dpop !== undefined })
      // A token endpoint across the internet: slow enough for requests to overlap a refresh.
      if (state.tokenDelayMs > 0) return void setTimeout(() => callback(req, res), state.tokenDelayMs)
    }
    callback(req, res)
  }

  return {
    issuer,
    origin,
    /** Everything counted, in order; `at` is ms since start. */
    log,
    /** The lifetime of access tokens issued from now on, in seconds. */
    get accessTokenTtl() {
      return state.accessTokenTtl
    },
    set accessTokenTtl(seconds) {
      state.accessTokenTtl = seconds
    },
    /** How long the token endpoint waits before it answers, in ms (default 0). */
    get tokenDelayMs() {
      return state.tokenDelayMs
    },
    set tokenDelayMs(ms) {
      state.tokenDelayMs = ms
    },
    /** A position in the log, for `counters(since)`. */
    mark: () => log.length,
    /**
     * What reached the provider since `mark()` (default: since start).
     * @param {number} [since]
     * @returns {ProviderCounters}
     */
    counters: (since = 0) => summarize(log.slice(since)),
    close: () => Promise.all(servers.map((s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve))))).then(() => {}),
  }
}

/**
 * The person at /interaction/:uid: signs in as login_hint ('auto') or as the name typed into
 * the login page ('form'), then grants what is asked.
 * @param {any} provider
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {(entry: Omit<ProviderLogEntry, 'at'>) => void} note
 * @param {'auto' | 'form'} [login]
 */
async function interact(provider, req, res, note, login = 'auto') {
  const details = await provider.interactionDetails(req, res)
  const { prompt, params, session } = details
  if (prompt.name === 'login') {
    const accountId = login === 'form' ? await askName(req, res, params) : String(params.login_hint || 'alice')
    if (accountId === undefined) return // the login page was sent; its POST comes back here
    note({ event: 'login', detail: accountId })
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false })
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id })
  const missing = prompt.details
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '))
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims)
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, /** @type {string[]} */ (scopes).join(' '))
  }
  const grantId = await grant.save()
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
}

/**
 * 'form' login: the name POSTed from the login page, or the page itself (prefilled with
 * login_hint) when this is the GET or the name is blank; then undefined.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {Record<string, unknown>} params
 * @returns {Promise<string | undefined>}
 */
async function askName(req, res, params) {
  if (req.method === 'POST') {
    let body = ''
    for await (const chunk of req) body += chunk
    const name = new URLSearchParams(body).get('name')?.trim().slice(0, 40)
    if (name) return name
  }
  const html = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · OpenID Provider</title>
<style>body{font:15px/1.5 system-ui,sans-serif;background:#eef0f4;color:#131722;display:grid;place-items:center;min-height:100vh;margin:0}
form{background:#fff;border:1px solid #dde1e8;border-radius:12px;padding:32px;width:min(360px,90vw);display:grid;gap:12px}
h1{font-size:20px;margin:0}p{margin:0;color:#667085}input,button{font:inherit;padding:9px 12px;border-radius:8px;border:1px solid #cfd4dc}
button{background:#131722;color:#fff;border-color:#131722;cursor:pointer}</style>
<form method="post"><h1>Sign in</h1><p>to continue to <b>${html(params.client_id)}</b>. This loopback provider asks only for a name.</p>
<label for="name">Name</label><input id="name" name="name" value="${html(params.login_hint)}" maxlength="40" autocomplete="nickname" required autofocus>
<button type="submit">Continue</button></form></html>`)
  return undefined
}

/** @param {ProviderLogEntry[]} entries @returns {ProviderCounters} */
function summarize(entries) {
  const answers = entries.filter((e) => e.event === 'token')
  const refreshErrors = answers.filter((e) => e.grant === 'refresh_token' && !e.ok).map((e) => String(e.error))
  const refreshed = answers.filter((e) => e.grant === 'refresh_token' && e.ok)
  /** @type {Record<string, number>} */
  const refreshesFor = {}
  for (const e of refreshed) refreshesFor[String(e.resource)] = (refreshesFor[String(e.resource)] ?? 0) + 1
  return {
    tokenRequests: entries.filter((e) => e.event === 'token-request').length,
    codeOk: answers.filter((e) => e.grant === 'authorization_code' && e.ok).length,
    refreshOk: refreshed.length,
    refreshesFor,
    refreshErrors,
    invalidGrant: answers.filter((e) => e.error === 'invalid_grant').length,
    grantRevoked: entries.filter((e) => e.event === 'grant-revoked').length,
    logins: entries.filter((e) => e.event === 'login').length,
    serverErrors: entries.filter((e) => e.event === 'server-error').map((e) => String(e.detail).slice(0, 300)),
    dpopTokenRequests: entries.filter((e) => e.event === 'token-request' && e.dpop).length,
    dpopTokens: answers.filter((e) => e.ok && e.tokenType === 'DPoP').length,
    useDpopNonce: answers.filter((e) => e.error === 'use_dpop_nonce').length,
    invalidDpopProof: answers.filter((e) => e.error === 'invalid_dpop_proof').length,
  }
}

/**
 * The `dpop` option as oidc-provider's settings, or null when off. oidc-provider 9 has
 * features.dPoP on by default (a proof sent is honoured, none is asked for, no nonces): off
 * leaves exactly that. On: `nonce` (default true) makes every proof carry a server nonce
 * (RFC 9449 §8), so the first token request of a new key is answered use_dpop_nonce;
 * `required` (default true) is the client's dpop_bound_access_tokens (§5.2), so a token
 * request without a proof fails instead of quietly yielding a Bearer token. Refresh tokens of
 * a public client are bound to the proof's key whatever `required` says.
 * @param {OpenIdProviderOptions['dpop']} option
 */
function dpopFeature(option) {
  if (!option) return null
  const { nonce = true, required = true } = option === true ? {} : option
  return {
    // The secret the nonces are derived from: a fresh one per start, as nothing outlives it.
    feature: { enabled: true, ...(nonce && { nonceSecret: randomBytes(32), requireNonce: () => true }) },
    client: required ? { dpop_bound_access_tokens: true } : {},
  }
}

/** An ES256 key for access tokens and an RS256 one, the ID token default. */
async function signingKeys() {
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const ec = await generateKeyPair('ES256', { extractable: true })
  return {
    keys: [
      { ...(await exportJWK(rsa.privateKey)), kid: 'rs256', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.privateKey)), kid: 'es256', alg: 'ES256', use: 'sig' },
    ],
  }
}

/**
 * 127.0.0.1, and ::1 on the same port where there is IPv6: "localhost" may resolve to either,
 * in Chromium and in Node alike.
 * @param {import('node:http').RequestListener} listener
 * @param {number} port
 */
async function listenLoopback(listener, port) {
  const first = await listenOn(listener, port, '127.0.0.1')
  const bound = /** @type {import('node:net').AddressInfo} */ (first.address()).port
  const second = await listenOn(listener, bound, '::1').catch(() => null)
  return second ? [first, second] : [first]
}

/** @param {import('node:http').RequestListener} listener @param {number} port @param {string} host */
function listenOn(listener, port, host) {
  return /** @type {Promise<import('node:http').Server>} */ (
    new Promise((resolve, reject) => {
      const server = createServer(listener)
      server.keepAliveTimeout = 1000
      server.once('error', reject)
      server.listen(port, host, () => resolve(server))
    })
  )
}
