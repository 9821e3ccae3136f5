import { CLIENT_ID, startOpenIdProvider } from '../../tools/openidProvider.js'

export { CLIENT_ID }

/**
 * @typedef {{
 *   port: number,
 *   pageOrigins: string[],
 *   audience: string,
 *   lifetimeSeconds: number,
 *   activity: import('./activity.js').Activity,
 * }} ProviderOptions
 */

/**
 * The demo's OpenID Provider: the same oidc-provider set-up the SDK tests use (a public
 * PKCE client `spa`, rotating refresh tokens, ES256 JWT access tokens for the API), with a
 * login page that asks for a name. Each page origin is its own redirect URI, both for the
 * sign-in and for the way back from the sign-out. What reaches its token endpoint goes to
 * the activity feed as it happens.
 *
 * @param {ProviderOptions} options
 */
export async function startProvider({ port, pageOrigins, audience, lifetimeSeconds, activity }) {
  const pages = pageOrigins.map((origin) => `${origin}/`)
  const op = await startOpenIdProvider({
    port,
    pageOrigins,
    redirectUris: pages,
    postLogoutRedirectUris: pages,
    audience,
    accessTokenTtl: lifetimeSeconds,
    login: 'form',
  })
  let previous
  follow(op.log, (entry) => {
    // A sign-out ends the grant twice over: the SDK revokes its refresh token, then
    // end_session revokes the grant. One line says it.
    if (!(entry.event === 'grant-revoked' && previous?.event === 'grant-revoked')) tell(activity, entry, op.accessTokenTtl)
    previous = entry
  })
  return op
}

/**
 * The provider appends to its log as things happen. Hearing each append, rather than
 * polling, puts a refresh grant in the feed at the moment it happened: after the API's
 * 401, before the retry.
 *
 * @template T
 * @param {T[]} log
 * @param {(entry: T) => void} onEntry
 */
function follow(log, onEntry) {
  const push = log.push
  log.push = function (...entries) {
    const length = push.apply(this, entries)
    for (const entry of entries) onEntry(entry)
    return length
  }
}

/**
 * @param {import('./activity.js').Activity} activity
 * @param {import('../../tools/openidProvider.js').ProviderLogEntry} entry
 * @param {number} lifetime
 */
function tell(activity, entry, lifetime) {
  const { counters } = activity
  switch (entry.event) {
    case 'token-request':
      counters.providerCalls++
      return
    case 'login':
      return activity.add('provider', 'login', `${entry.detail} signed in on the provider's login page`)
    case 'grant-revoked':
      return activity.add('provider', 'revoked', 'Grant revoked: its refresh token no longer works')
    case 'server-error':
      return activity.add('provider', 'error', `Server error: ${String(entry.detail).split('\n')[0]}`)
    case 'token':
      break
  }
  if (!entry.ok) {
    if (entry.error === 'invalid_grant') counters.invalidGrants++
    const why = entry.detail ? ` (${entry.detail})` : ''
    return activity.add('provider', 'refused', `Token endpoint: ${entry.grant} grant refused, ${entry.error}${why}`)
  }
  if (entry.grant === 'refresh_token') {
    counters.refreshGrants++
    return activity.add('provider', 'refresh', `Token endpoint: refresh_token grant, new access token (ES256, ${lifetime} s); the refresh token rotated, the old one is spent`)
  }
  if (entry.grant === 'authorization_code') {
    return activity.add('provider', 'token', `Token endpoint: authorization code + PKCE verifier exchanged for an access token (ES256, ${lifetime} s) and a refresh token`)
  }
  activity.add('provider', 'token', `Token endpoint: ${entry.grant} grant answered`)
}
