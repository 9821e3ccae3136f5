/// <reference lib="webworker" />
import type { HTTPMethod } from 'workbox-routing/utils/constants.js'
import { DEV } from './dev.js'
import type { TokenPlugin } from './tokenPlugin.js'

/** What a route's callbacks get from a workbox-routing Router: the fetch event's request and its URL. */
export interface RouteOptions {
  url: URL
  request: Request
  event: ExtendableEvent
  sameOrigin?: boolean
}

/** The part of a workbox-routing `Route` a Router uses, so that any Workbox 6/7 copy's Router takes ours. */
interface RouteLike {
  match: (options: RouteOptions) => unknown
  handler: { handle: (options: RouteOptions) => Promise<Response>; plugins?: unknown }
  method: string
}

/** The part of a workbox-routing `Router` used here: `routes` is its public, live route table. */
export interface RouterLike {
  readonly routes: Map<HTTPMethod, unknown[]>
  registerRoute(route: never): void
}

/**
 * Adds sw-bearer's routes for API requests at the front of `router`, whatever the order the
 * app registers its own routes in. An API request that a route of the app's also matches
 * (its cache of API answers) is left to that route, and the token plugin is added to its
 * strategy: the app's route runs, and the request still carries the token. A route whose
 * handler is a plain function cannot take the plugin: sw-bearer keeps that request.
 */
export function addApiRoutes(
  router: RouterLike,
  methods: readonly HTTPMethod[],
  forApi: (options: RouteOptions) => boolean,
  handle: (options: RouteOptions) => Promise<Response>,
  plugin: TokenPlugin,
): void {
  const ours = new Set<unknown>()
  const warned = new Set<unknown>()
  const match = (options: RouteOptions): boolean => {
    if (!forApi(options)) return false
    for (const route of (router.routes.get(options.request.method as HTTPMethod) ?? []) as RouteLike[]) {
      if (ours.has(route) || !route.match(options)) continue
      const plugins = route.handler?.plugins
      if (Array.isArray(plugins)) {
        if (!plugins.includes(plugin)) plugins.push(plugin)
        return false
      }
      if (DEV && !warned.has(route)) {
        warned.add(route)
        console.warn(`sw-bearer: a route of yours matches ${options.url.origin} requests but its handler is a function, which cannot take the token plugin; sw-bearer handles them instead. Use a Workbox strategy there, with installTokenInjection(...).plugin`)
      }
      return true
    }
    return true
  }
  // A network failure resolves as Response.error(), which the page sees as the TypeError it would
  // without a worker. A rejection would go to the router's catch handler, which may be the app's
  // offline page (Workbox's setCatchHandler): an API call would get HTML.
  const handleOrFail = (options: RouteOptions) => handle(options).catch(() => Response.error())
  for (const method of methods) {
    const route: RouteLike = { match, handler: { handle: handleOrFail }, method }
    ours.add(route)
    router.registerRoute(route as never)
    const table = router.routes.get(method)!
    table.splice(table.indexOf(route), 1)
    table.unshift(route)
  }
}
