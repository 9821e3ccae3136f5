import { IndexedDbDPoPStore, UserManager, WebStorageStateStore } from 'oidc-client-ts'
import { fromOidcClient } from '../../../../../adapters/index.js'
import { config, startApp } from './app.js'

const userManager = new UserManager({
  authority: config.issuer,
  client_id: config.clientId,
  redirect_uri: `${location.origin}/oidc.html`,
  response_type: 'code',
  scope: 'openid profile email offline_access api:read',
  // Both APIs' resources at sign-in, so the refresh token can get a token for either (RFC 8707 §2.2).
  resource: config.apiB ? [config.audience, config.apiB.resource] : config.audience,
  // sw-bearer decides when to refresh; the SDK's own timer would race it.
  automaticSilentRenew: false,
  monitorSession: false,
  loadUserInfo: false,
  // The default, sessionStorage, is one sign-in per tab; multi-tab apps share it.
  userStore: new WebStorageStateStore({ store: localStorage }),
  // DPoP (RFC 9449): a non-extractable key pair kept in IndexedDB ('oidc', store 'dpop') under client_id;
  // bind_authorization_code also sends its thumbprint with the authorization request (dpop_jkt, §10).
  ...(config.dpop && { dpop: { store: new IndexedDbDPoPStore(), bind_authorization_code: true } }),
})

await startApp({
  async handleCallback() {
    const query = new URLSearchParams(location.search)
    if (!query.has('code') || !query.has('state')) return false
    await userManager.signinRedirectCallback()
    return true
  },
  getAccessToken: fromOidcClient(userManager),
  login: (user, again) => userManager.signinRedirect({ login_hint: user, ...(again && { prompt: 'login' }) }),
  signOutLocal: () => userManager.removeUser(),
  signedIn: async () => (await userManager.getUser()) !== null,
})
