import { Auth0Client } from '@auth0/auth0-spa-js'
import { fromAuth0 } from '../../../../../adapters/index.js'
import { config, startApp } from './app.js'

// new Auth0Client, not createAuth0Client: that runs checkSession at load in every tab, a token
// call outside sw-bearer's single flight; sw-bearer's startup call is that check (demo/README.md).
const auth0 = new Auth0Client({
  // An explicit http:// scheme is kept; the provider's issuer is this plus '/'.
  domain: config.opOrigin,
  clientId: config.clientId,
  authorizationParams: { redirect_uri: `${location.origin}/auth0.html`, audience: config.audience, scope: 'openid profile email offline_access api:read' },
  useRefreshTokens: true,
  useRefreshTokensFallback: false,
  // The default, memory, is one cache per tab; localstorage shares it across tabs.
  cacheLocation: 'localstorage',
})

await startApp({
  async handleCallback() {
    const query = new URLSearchParams(location.search)
    if (!query.has('code') || !query.has('state')) return false
    await auth0.handleRedirectCallback()
    return true
  },
  getAccessToken: fromAuth0(auth0, { authorizationParams: { audience: config.audience } }),
  login: (user) => auth0.loginWithRedirect({ authorizationParams: { login_hint: user } }),
  signOutLocal: () => auth0.logout({ openUrl: false }),
  signedIn: () => auth0.isAuthenticated(),
})
