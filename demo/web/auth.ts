/**
 * The app's auth SDK: oidc-client-ts against the demo's OpenID Provider, set up as its
 * README section in sw-bearer's demo describes. Sign-in is a redirect to the provider's
 * login page (authorization code + PKCE); the tokens live in localStorage, shared by the
 * tabs; sw-bearer gets them through the shipped adapter and nothing else here reads them.
 */
import { UserManager, WebStorageStateStore } from 'oidc-client-ts'
import { fromOidcClient } from '../../adapters/index.js'

const here = `${location.origin}/`

export const userManager = new UserManager({
  authority: __JOTTER_AUTHORITY__,
  client_id: __JOTTER_CLIENT_ID__,
  redirect_uri: here,
  post_logout_redirect_uri: here,
  response_type: 'code',
  scope: 'openid profile offline_access', // offline_access: a refresh token
  resource: __JOTTER_AUDIENCE__, // access tokens for the API, as JWTs it can verify
  userStore: new WebStorageStateStore({ store: window.localStorage }), // every tab, one sign-in
  // sw-bearer renews for every tab through one flight. Each tab's own timer would race it,
  // and this provider rotates refresh tokens: the loser's spent one is an invalid_grant.
  automaticSilentRenew: false,
  loadUserInfo: false,
  // Sign-out revokes the refresh token. The access tokens are JWTs the API checks by itself.
  revokeTokensOnSignout: true,
  revokeTokenTypes: ['refresh_token'],
  // The revocation endpoint answers 200 with an empty text/plain body, which RFC 7009 allows.
  revokeTokenAdditionalContentTypes: ['text/plain'],
})

/** What sw-bearer calls: the stored token, or `signinSilent()` (the refresh token) when forced. */
export const getAccessToken = fromOidcClient(userManager)

/** Off to the provider's login page; the page loads again with `?code&state`. */
export function signIn(): Promise<void> {
  return userManager.signinRedirect()
}

/**
 * Completes whichever redirect brought this load here: the sign-in (`?code&state`:
 * the code and the PKCE verifier are exchanged for tokens) or the way back from the
 * sign-out (`?state`). Drops the query either way, so a reload is an ordinary load.
 * @returns 'signed-in' after a sign-in callback, 'signed-out' after a sign-out one, else null
 */
export async function completeRedirect(): Promise<'signed-in' | 'signed-out' | null> {
  const query = new URLSearchParams(location.search)
  if (!query.has('state') && !query.has('error')) return null
  try {
    if (query.has('code') || query.has('error')) {
      await userManager.signinRedirectCallback()
      return 'signed-in'
    }
    await userManager.signoutRedirectCallback()
    return 'signed-out'
  } finally {
    history.replaceState(null, '', location.pathname)
  }
}

/**
 * The SDK's half of signing out: revokes the refresh token, removes the user from
 * localStorage, and ends the provider's session, which brings this tab back to the page.
 */
export async function signOut(): Promise<void> {
  try {
    await userManager.signoutRedirect()
  } catch (error) {
    await userManager.removeUser() // the provider is unreachable: sign out here at least
    throw error
  }
}
