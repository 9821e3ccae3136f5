// The page of the rotation and startup rows, built by vite like a consumer's app (see
// oidcWorld.js): the real oidc-client-ts against a real OpenID Provider. `?login=<name>`
// signs in through the provider; `window.bench` appears once the page is booted. The entry
// calls `start()`: this package says sideEffects: false, so a bare import would be dropped.
import { UserManager, WebStorageStateStore } from 'oidc-client-ts'
import { fromOidcClient } from '../../adapters/index.ts'
import { registerTokenServiceWorker } from '../../src/index.ts'

const config = JSON.parse(document.getElementById('config').textContent)
const apiURL = `${config.apiOrigin}/data`

const userManager = new UserManager({
  authority: config.issuer,
  client_id: config.clientId,
  redirect_uri: `${location.origin}/`,
  response_type: 'code',
  scope: 'openid profile offline_access api:read',
  resource: config.audience,
  // Refreshes happen on 401 only, in both variants: a timer would refresh outside the storm.
  automaticSilentRenew: false,
  monitorSession: false,
  loadUserInfo: false,
  // One sign-in for every tab, as multi-tab apps keep it (the default is per tab).
  userStore: new WebStorageStateStore({ store: localStorage }),
})

let getterCalls = 0
const getAccessToken = (context) => {
  getterCalls++
  return fromOidcClient(userManager)(context)
}

// The baseline: what apps do today. The app sets Authorization from the SDK's user and, like
// axios-auth-refresh, answers a 401 by joining this tab's refresh in flight or starting one,
// then resends once; a refresh that fails leaves the request with its 401.
let refreshesStarted = 0
function sdkRefreshingFetch() {
  let refreshing
  const send = (user) => fetch(apiURL, user ? { headers: { Authorization: `Bearer ${user.access_token}` } } : {})
  return async () => {
    const response = await send(await userManager.getUser())
    if (response.status !== 401) return response
    if (!refreshing) {
      refreshesStarted++
      refreshing = userManager.signinSilent()
    }
    try {
      const renewed = await refreshing
      void response.body?.cancel()
      return await send(renewed)
    } catch {
      return response
    } finally {
      refreshing = undefined
    }
  }
}

async function timed(send) {
  try {
    const response = await send()
    await response.arrayBuffer()
    return response.status
  } catch {
    return 0
  }
}

const describe = (e) => `${e?.error ?? e?.name ?? 'Error'}: ${e?.error_description ?? e?.message ?? e}`

let apiFetch

const bench = {
  async setup(variant) {
    if (variant === 'sdk') apiFetch = sdkRefreshingFetch()
    else {
      await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken })
      apiFetch = () => fetch(apiURL)
    }
    return { controlled: !!navigator.serviceWorker.controller, visibility: document.visibilityState, signedIn: !!(await userManager.getUser()) }
  },
  async sequential(n) {
    const statuses = []
    for (let i = 0; i < n; i++) statuses.push(await timed(apiFetch))
    return statuses
  },
  /** n requests at once from this tab, starting at an agreed wall-clock instant. */
  async storm(n, startAtEpochMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAtEpochMs - Date.now())))
    refreshesStarted = 0
    const start = performance.timeOrigin + performance.now()
    const statuses = await Promise.all(Array.from({ length: n }, () => timed(apiFetch)))
    return {
      startEpochMs: start,
      endEpochMs: performance.timeOrigin + performance.now(),
      ok: statuses.filter((s) => s === 200).length,
      unauthorized: statuses.filter((s) => s === 401).length,
      refreshesStarted,
    }
  },
  /** Is there a session the SDK can still renew? A forced refresh answers. */
  async probe() {
    try {
      const user = await userManager.signinSilent()
      return { ok: !!user }
    } catch (e) {
      return { ok: false, error: describe(e) }
    }
  },
  /**
   * The startup row, in a tab that has just loaded: the SDK's cached read and sw-bearer's
   * registration on a warm start, each timed from call to resolve, in the given order.
   */
  async startup(registerFirst) {
    const controlledAtLoad = !!navigator.serviceWorker.controller
    const time = async (run) => {
      const start = performance.now()
      await run()
      return performance.now() - start
    }
    const out = { controlledAtLoad }
    const steps = [
      ['registerMs', () => registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken })],
      ['getUserMs', () => userManager.getUser()],
    ]
    for (const [name, run] of registerFirst ? steps : steps.reverse()) out[name] = await time(run)
    return { ...out, getterCalls }
  },
}

async function boot() {
  const query = new URLSearchParams(location.search)
  if (query.has('code') && query.has('state')) {
    await userManager.signinRedirectCallback()
    // An ordinary load from now on, not a second callback.
    history.replaceState(null, '', location.pathname)
  } else if (query.has('login')) {
    // Leaves for the provider, whose `login: 'auto'` signs in login_hint and comes back with a code.
    return userManager.signinRedirect({ login_hint: query.get('login') })
  }
  window.bench = bench
}

/** Boots the page; if that fails, whatever the bench calls first fails with the reason. */
export function start() {
  boot().catch((e) => {
    const error = `page boot: ${describe(e)}`
    window.bench = new Proxy({}, { get: () => () => Promise.reject(new Error(error)) })
  })
}
