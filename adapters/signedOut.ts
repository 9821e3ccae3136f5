/**
 * OAuth error codes that mean "no session is left to renew without the user": sw-bearer's
 * "signed out". Anything else (network, timeout, server_error, mfa_required…) is a failure
 * the app may recover from, so it is thrown and the token sw-bearer holds is kept.
 * - `login_required`, `interaction_required`, `consent_required`: OpenID Connect Core 1.0
 *   §3.1.2.6, the answers to a `prompt=none` (silent) authorization request when the OP
 *   cannot proceed without showing the user something.
 * - `invalid_grant`: RFC 6749 §5.2, the refresh token is invalid, expired or revoked.
 */
const SIGNED_OUT: ReadonlySet<string> = new Set([
  'login_required',
  'interaction_required',
  'consent_required',
  'invalid_grant',
])

/**
 * The OAuth `error` code an SDK error carries: `error` (oidc-client-ts `ErrorResponse`,
 * Auth0 `GenericError`, Okta `OAuthError`) or else `errorCode` (Okta). Read by shape, not
 * `instanceof`: the app may bundle its own copy of the SDK, or an older one.
 */
export function oauthErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { error: code, errorCode } = error as { error?: unknown; errorCode?: unknown }
  if (typeof code === 'string') return code
  return typeof errorCode === 'string' ? errorCode : undefined
}

/** Whether an SDK error means the user is signed out; `more` adds an SDK's own codes. */
export function isSignedOutError(error: unknown, more: readonly string[] = []): boolean {
  const code = oauthErrorCode(error)
  return code !== undefined && (SIGNED_OUT.has(code) || more.includes(code))
}
