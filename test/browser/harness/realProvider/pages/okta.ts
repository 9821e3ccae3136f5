import { OktaAuth } from '@okta/okta-auth-js'
import { fromOkta } from '../../../../../adapters/index.js'
import { config, startApp } from './app.js'

const op = config.opOrigin
const okta = new OktaAuth({
  issuer: config.issuer,
  clientId: config.clientId,
  redirectUri: `${location.origin}/okta.html`,
  scopes: ['openid', 'profile', 'email', 'offline_access', 'api:read'],
  pkce: true,
  // A generic provider: okta-auth-js would otherwise build Okta's /oauth2/v1/... URLs.
  authorizeUrl: `${op}/authorize`,
  tokenUrl: `${op}/oauth/token`,
  revokeUrl: `${op}/oauth/revoke`,
  logoutUrl: `${op}/v2/logout`,
  userinfoUrl: `${op}/userinfo`,
  // sw-bearer decides when to refresh; the SDK's own timers would race it. Without
  // clearPendingRemoveTokens: false, okta.start() in a tab loading while another renews can write
  // the storage it last saw back, refresh token already rotated included (see demo/README.md).
  tokenManager: { autoRenew: false, autoRemove: false, storage: 'localStorage', clearPendingRemoveTokens: false },
})

await startApp({
  async handleCallback() {
    const callback = okta.isLoginRedirect()
    if (callback) await okta.storeTokensFromRedirect()
    await okta.start()
    return callback
  },
  getAccessToken: fromOkta(okta),
  login: (user) => okta.signInWithRedirect({ loginHint: user, originalUri: '/okta.html' }),
  signOutLocal: async () => okta.tokenManager.clear(),
  signedIn: async () => okta.tokenManager.getTokensSync().accessToken !== undefined,
})
