/// <reference lib="webworker" />
import { getOrCreateDefaultRouter } from 'workbox-routing/utils/getOrCreateDefaultRouter.js'
import type { HTTPMethod } from 'workbox-routing/utils/constants.js'
import { addApiRoutes, type RouteOptions, type RouterLike } from './apiRoutes.js'
import { isAuthUrl, parseAuthRoutes } from '../common/authTraffic.js'
import { classify, type Verdict } from '../common/decision.js'
import { broadcastError, broadcastState } from './broadcast.js'
import { debugReport } from './debugReport.js'
import { SwBearerError } from '../common/errors.js'
import { DEV } from './dev.js'
import { keepAliveForBody } from './keepAliveForBody.js'
import { handleMessage } from './handleMessage.js'
import type { ApiOrigin } from '../common/origins.js'
import { parseOrigins } from './origins.js'
import { listenToPeers } from './peers.js'
import { furnishRooms } from './resources/furnish.js'
import { Rooms } from './resources/Rooms.js'
import { routeOthersToNetwork } from './staticRoutes.js'
import { tokenPlugin, type TokenPlugin } from './tokenPlugin.js'

declare const self: ServiceWorkerGlobalScope

export interface TokenInjectionOptions {
  /**
   * Exact origins (scheme, host, port) that receive a token, e.g. `https://api.example.com`.
   * A plain origin gets the default token (the getter's `resource` undefined). An origin given
   * as `{ origin, resource }` gets a token for that resource only (RFC 8707 resource indicator;
   * Auth0's audience): fetched on its first use, refreshed in its own single flight, cleared
   * with the session. Fixed here, in the worker script, like the origins themselves.
   * @example ['https://api.example.com', { origin: 'https://billing.example.com', resource: 'https://billing.example.com/' }]
   */
  apiOrigins: readonly ApiOrigin[]
  /** How long a tab may take to acknowledge a refresh request, and then to finish it. */
  refreshTimeoutMs?: number
  /** JWTs expiring within this many seconds are refreshed before they are sent. */
  refreshLeewaySeconds?: number
  /**
   * Send every request that is not for an API origin straight to the network, where the
   * browser supports static routing (Chromium; Service Worker Static Routing API): those
   * never wake the worker. Default false: it also takes them from every other fetch handler
   * of the worker (a precache, offline pages). Set true only when sw-bearer is the worker's
   * only fetch handler.
   */
  routeOthersToNetwork?: boolean
  /**
   * Whether a new version of the worker takes over open pages at once (`skipWaiting()` on
   * install). Default true. Set false to leave it to your own update flow (a vite-plugin-pwa
   * "new version, reload?" prompt): the new version then waits until your code calls
   * `self.skipWaiting()` or every page of the old one is closed. Either way the worker claims
   * pages no worker controls yet (`clients.claim()`), so a first visit is served at once.
   */
  skipWaiting?: boolean
  /**
   * The workbox-routing `Router` your worker routes with, when it is not Workbox's default one
   * (the one `registerRoute` uses, which sw-bearer uses otherwise). sw-bearer's routes go first
   * in it, and yield to a route of yours that matches the same API request (see `plugin`).
   */
  router?: RouterLike
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
  /**
   * Reports what the worker decides about each `fetch` and `XMLHttpRequest` request (and each
   * navigation) to a listed origin, and about near misses: `token added`; left alone and why (a
   * navigation, `no-cors`, its own Authorization, the auth SDK's own traffic, nobody signed in,
   * or an origin that is not listed but differs from a listed one only in spelling: localhost vs
   * 127.0.0.1, a port, http vs https); a 401 from the API and the one refresh it starts; the
   * retry's status; a refresh that failed. Each is one line in the worker's console
   * (`console.debug`, a near miss `console.warn`) and a `decision` message to the tab that made
   * the request, which fires it as a `decision` event. Never a token: a method, the URL's origin
   * and path (no query), a reason. Requests to other origins are not reported, nor a document's
   * scripts, styles and images. Default false. Without it a development build still warns of a
   * near miss, once per origin; a production build says nothing. With `routeOthersToNetwork`
   * a near miss never reaches the worker (Chromium), so it cannot be reported.
   * @example installTokenInjection({ apiOrigins: ['https://api.example.com'], debug: true })
   */
  debug?: boolean
}

// Every method workbox-routing can route; it routes only GET unless told.
const METHODS: readonly HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
const ROUTED: ReadonlySet<string> = new Set(METHODS)

/** What installTokenInjection gives the rest of your worker. */
export interface TokenInjection {
  /**
   * A Workbox plugin for strategies of yours that serve an API origin (a NetworkFirst cache of
   * API answers): the token on each request, and on a 401 one refresh and one retry. sw-bearer
   * adds it by itself to a route of yours in the same router that matches an API request; put
   * it in yourself where that router is not the one sw-bearer knows.
   * @example registerRoute(({ url }) => url.origin === API, new NetworkFirst({ plugins: [bearer.plugin] }))
   */
  readonly plugin: TokenPlugin
}

/**
 * Call once, synchronously, at the top level of the service worker script: the
 * browser only dispatches events to listeners added during that first run.
 * Its routes live in a workbox-routing Router (Workbox's default one unless `router` says
 * otherwise), in front of any routes of yours: a worker with its own Workbox routes, a
 * precache among them, keeps them all.
 *
 * @example
 * // sw.ts
 * import { installTokenInjection } from 'sw-bearer/sw'
 * installTokenInjection({ apiOrigins: ['https://api.example.com'] })
 */
export function installTokenInjection(options: TokenInjectionOptions): TokenInjection {
  const map = parseOrigins(options.apiOrigins)
  const origins = map.origins
  const authRoutes = parseAuthRoutes(options.authRoutes, origins, self.location.href, (entry) =>
    new SwBearerError(
      'invalid-options',
      DEV
        ? `installTokenInjection: authRoutes entry "${entry}" must be a URL with a path on a listed API origin (absolute, or relative to the worker script), without query, fragment or userinfo`
        : 'invalid authRoutes',
    ),
  )
  const refreshTimeoutMs = positive(options.refreshTimeoutMs ?? 10_000, 'refreshTimeoutMs')
  const leewaySeconds = positive(options.refreshLeewaySeconds ?? 30, 'refreshLeewaySeconds')

  const tellPeers = listenToPeers(() => void rooms.resync())
  // Undefined in a production build without debug: then every request pays one check for it.
  const report = debugReport(options.debug === true, DEV, origins)
  const rooms: Rooms = new Rooms(
    map,
    (next) => {
      void broadcastState(next)
      tellPeers()
    },
    () => void broadcastError({ code: 'storage-failed', message: DEV ? 'IndexedDB refused the session; a restarted worker will ask getAccessToken again' : 'storage failed' }),
    furnishRooms({ timeoutMs: refreshTimeoutMs, leewaySeconds, report: report?.step, rooms: () => rooms }),
  )
  // Start reading IndexedDB now, so the first request after a restart rarely waits.
  for (const room of rooms.all) void room.state.load()

  const bypass = options.routeOthersToNetwork ?? false
  const takeOver = options.skipWaiting ?? true
  self.addEventListener('install', (event) => {
    if (takeOver) void self.skipWaiting()
    if (bypass) routeOthersToNetwork(event, origins)
  })
  self.addEventListener('activate', (event) => event.waitUntil(Promise.all([self.clients.claim(), rooms.resync()])))
  // The rule the page's in-page mode applies too (classify), with the worker's auth routes.
  const ownOrigin = self.location.origin
  const verdictOf = (url: URL, mode: string, hasAuthorization: boolean): Verdict => {
    const verdict = classify({ url, mode, hasAuthorization }, origins, ownOrigin)
    return verdict.getsToken && isAuthUrl(url, authRoutes) ? { getsToken: false, reason: 'auth-route' } : verdict
  }
  // Most requests are for other origins: one lookup each, before any verdict (whose first step it is).
  const matches = (url: URL, request: Request) => origins.has(url.origin) && verdictOf(url, request.mode, request.headers.has('authorization')).getsToken
  // The match of sw-bearer's routes, which Workbox runs first for every request its router sees,
  // a near miss too: wherever sw-bearer could give a token, it can say why it did not. A fetch
  // listener of its own would not see requests that an earlier listener answered (respondWith
  // stops the others): the router's own, when the app created it first (precacheAndRoute).
  const routes = (url: URL, request: Request, event: ExtendableEvent): boolean => {
    if (!report?.wants(url, request)) return matches(url, request)
    const found = verdictOf(url, request.mode, request.headers.has('authorization'))
    report.seen(request, url, found, clientOf(event))
    return found.getsToken
  }
  self.addEventListener('message', (event) => handleMessage(event, { rooms, verdict: (url) => verdictOf(url, 'cors', false) }))

  // Only listed origins reach here (see matches), and each has its room.
  const sendFor = (request: Request) => rooms.forOrigin(new URL(request.url).origin)!.send
  const handle = async ({ request, event }: { request: Request; event: ExtendableEvent }) => {
    const response = await sendFor(request).send(request, clientOf(event))
    keepAliveForBody(event, response)
    return response
  }
  const plugin = tokenPlugin(sendFor, (request) => matches(new URL(request.url), request))
  const router = options.router ?? (getOrCreateDefaultRouter() as unknown as RouterLike)
  addApiRoutes(router, METHODS, ({ url, request, event }: RouteOptions) => routes(url, request, event), handle, plugin)
  // workbox-routing looks routes up by method name, so an extension method (WebDAV's PROPFIND,
  // REPORT, SEARCH, HTTP QUERY, OPTIONS…) would go out bare and its 401 never refresh.
  self.addEventListener('fetch', (event) => {
    const { request } = event
    if (!ROUTED.has(request.method) && routes(new URL(request.url), request, event)) event.respondWith(handle({ request, event }))
  })
  return { plugin }
}

/** The tab a fetch event's request came from; none for a navigation. */
const clientOf = (event: ExtendableEvent) => (event as FetchEvent).clientId || undefined

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new SwBearerError('invalid-options', DEV ? `installTokenInjection: ${name} must be a positive number` : `invalid ${name}`)
  }
  return value
}
