/// <reference lib="webworker" />

// The Service Worker Static Routing API is not in TypeScript's lib yet.
interface RouterCondition {
  urlPattern?: unknown
  or?: RouterCondition[]
  not?: RouterCondition
}
interface RouterRule {
  condition: RouterCondition
  source: 'network' | 'fetch-event'
}
type InstallEventWithRoutes = ExtendableEvent & { addRoutes?: (rules: RouterRule | RouterRule[]) => Promise<void> }
declare const URLPattern: (new (init: Record<string, string>) => unknown) | undefined

// URLPattern syntax characters that may appear in a host (IPv6 brackets and colons).
const escape = (part: string) => part.replace(/[\\:*?+(){}[\]]/g, '\\$&')

/**
 * Where the browser supports it, tells it at install time to send every request
 * that is not for an API origin straight to the network: those never wake the
 * worker nor pay for a fetch event. Elsewhere the fetch handler still declines
 * them quickly, so this is only ever an optimisation.
 */
export function routeOthersToNetwork(event: ExtendableEvent, origins: ReadonlySet<string>): void {
  const install = event as InstallEventWithRoutes
  if (typeof install.addRoutes !== 'function' || typeof URLPattern !== 'function') return
  try {
    const apis = [...origins].map((origin) => {
      const url = new URL(origin)
      // Components left out of the init (path, query, hash) match anything.
      return { urlPattern: new URLPattern({ protocol: url.protocol.slice(0, -1), hostname: escape(url.hostname), port: url.port }) }
    })
    event.waitUntil(install.addRoutes({ condition: { not: { or: apis } }, source: 'network' }).catch(() => {}))
  } catch {
    // An engine that knows addRoutes but not these conditions: the fetch handler copes.
  }
}
