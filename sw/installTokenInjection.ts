/// <reference lib="webworker" />
import { Route, Router } from 'workbox-routing'
import type { HTTPMethod } from 'workbox-routing/utils/constants.js'
import { isAuthUrl, parseAuthRoutes } from './authTraffic.js'
import { authorizedFetch } from './authorizedFetch.js'
import { broadcastError, broadcastState } from './broadcast.js'
import { ExpiryGuard } from './ExpiryGuard.js'
import { SwBearerError } from '../common/errors.js'
import { DEV } from './dev.js'
import { handleMessage } from './handleMessage.js'
import { parseOrigins } from './origins.js'
import { exclusive, listenToPeers } from './peers.js'
import { Refresher } from './Refresher.js'
import { routeOthersToNetwork } from './staticRoutes.js'
import { TokenState } from './TokenState.js'

declare const self: ServiceWorkerGlobalScope

export interface TokenInjectionOptions {
  /** Exact origins (scheme, host, port) that receive the token, e.g. `https://api.example.com`. */
  apiOrigins: readonly string[]
  /** How long a tab may take to acknowledge a refresh request, and then to finish it. */
  refreshTimeoutMs?: number
  /** JWTs expiring within this many seconds are refreshed before they are sent. */
  refreshLeewaySeconds?: number
  /**
   * Send every request that is not for an API origin straight to the network, where
   * the browser supports static routing (Chromium). Default true; set false when the
   * same worker has other fetch handlers (caching, offline pages) that must see them.
   */
  routeOthersToNetwork?: boolean
  /**
   * URLs on listed origins that are the auth SDK's own traffic (a token route of your
   * backend, a session endpoint): never given a token, never held for a refresh. Absolute,
   * or relative to the worker script; a path ending in `/` covers everything under it. An
   * entry that is not on a listed origin, or names a whole origin, is `invalid-options`.
   * Standard OAuth token and revocation requests (RFC 6749 §3.2, RFC 7009) and
   * `/.well-known/` URIs are recognised without it.
   * @example ['https://app.example.com/api/auth/token', 'https://app.example.com/oauth/']
   */
  authRoutes?: readonly string[] | null
}

// Every method workbox-routing can route; it routes only GET unless told.
const METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
const ROUTED: ReadonlySet<string> = new Set(METHODS)

/**
 * Call once, synchronously, at the top level of the service worker script: the
 * browser only dispatches events to listeners added during that first run.
 *
 * @example
 * // sw.ts
 * import { installTokenInjection } from 'sw-bearer/sw'
 * installTokenInjection({ apiOrigins: ['https://api.example.com'] })
 */
export function installTokenInjection(options: TokenInjectionOptions): void {
  const origins = parseOrigins(options.apiOrigins)
  const authRoutes = parseAuthRoutes(options.authRoutes, origins, self.location.href)
  const refreshTimeoutMs = positive(options.refreshTimeoutMs ?? 10_000, 'refreshTimeoutMs')
  const leewaySeconds = positive(options.refreshLeewaySeconds ?? 30, 'refreshLeewaySeconds')

  const tellPeers = listenToPeers(() => void state.resync())
  const state: TokenState = new TokenState(
    (next) => {
      void broadcastState(next)
      tellPeers()
    },
    () => void broadcastError({ code: 'storage-failed', message: DEV ? 'IndexedDB refused the session; a restarted worker will ask getAccessToken again' : 'storage failed' }),
  )
  const refresher = new Refresher(state, {
    timeoutMs: refreshTimeoutMs,
    exclusive: (fly) => exclusive(fly, 2 * refreshTimeoutMs),
    reread: () => state.resync(),
  })
  const expiry = new ExpiryGuard(state, refresher, leewaySeconds)
  const send = authorizedFetch({ origins, state, refresher, expiry })
  // Start reading IndexedDB now, so the first request after a restart rarely waits.
  void state.load()

  const bypass = options.routeOthersToNetwork ?? true
  self.addEventListener('install', (event) => {
    void self.skipWaiting()
    if (bypass) routeOthersToNetwork(event, origins)
  })
  self.addEventListener('activate', (event) => event.waitUntil(Promise.all([self.clients.claim(), state.resync()])))
  self.addEventListener('message', (event) => handleMessage(event, { state, refresher, expiry }))

  const router = new Router()
  const matches = (url: URL, request: Request) => isForApi(url, request, origins) && !isAuthUrl(url, authRoutes)
  const handler = ({ request, event }: { request: Request; event: ExtendableEvent }) =>
    send(request, (event as FetchEvent).clientId || undefined)
  for (const method of METHODS) router.registerRoute(new Route(({ url, request }) => matches(url, request), handler, method))
  router.addFetchListener()
  // workbox-routing looks routes up by method name, so an extension method (WebDAV's PROPFIND,
  // REPORT, SEARCH, HTTP QUERY, OPTIONS…) would go out bare and its 401 never refresh.
  self.addEventListener('fetch', (event) => {
    const { request } = event
    if (!ROUTED.has(request.method) && matches(new URL(request.url), request)) event.respondWith(handler({ request, event }))
  })
}

/**
 * Exact origin match only. Navigations, requests that already carry Authorization
 * and `no-cors` requests (the browser would drop the header there anyway) are left
 * to the browser untouched.
 */
function isForApi(url: URL, request: Request, origins: ReadonlySet<string>): boolean {
  return (
    origins.has(url.origin) &&
    request.mode !== 'navigate' &&
    request.mode !== 'no-cors' &&
    !request.headers.has('authorization')
  )
}

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new SwBearerError('invalid-options', DEV ? `installTokenInjection: ${name} must be a positive number` : `invalid ${name}`)
  }
  return value
}
