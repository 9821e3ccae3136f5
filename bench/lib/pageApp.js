/**
 * The bench page: loads /app.js, which exposes `window.bench`. The driver calls
 * its functions; every time it reports is taken in the page with performance.now,
 * so no driver round trip is ever inside a measurement.
 */
export const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>sw-bearer bench</title>
<script type="module" src="/app.js"></script><body>bench</body>`

/** (b): the unavoidable cost of any fetch-handling worker, and nothing else. */
export const PASSTHROUGH_SW = `self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
self.addEventListener('fetch', (event) => event.respondWith(fetch(event.request)))
`

/**
 * For row 2: a worker that sends every request except the API's straight to the
 * network with the Static Routing API, with the same rule shape sw-bearer uses,
 * and passes the rest through. What a controlled page pays, at least, for a
 * request the browser routes past its worker.
 */
export const routedSw = (apiOrigin) => {
  const url = new URL(apiOrigin)
  const api = { protocol: url.protocol.slice(0, -1), hostname: url.hostname, port: url.port, pathname: '*', search: '*', hash: '*' }
  return `self.addEventListener('install', (event) => {
  self.skipWaiting()
  event.waitUntil(event.addRoutes({ condition: { not: { or: [{ urlPattern: new URLPattern(${JSON.stringify(api)}) }] } }, source: 'network' }))
})
${PASSTHROUGH_SW.split('\n').slice(1).join('\n')}`
}

export const APP_JS = `
let apiURL
// Row 1r's second API: another origin, which sw-bearer's worker lists with a resource of its own.
let resourceURL
let apiFetch

async function getToken() {
  const response = await fetch('/token', { cache: 'no-store' })
  return (await response.json()).token
}

function untilControlled() {
  if (navigator.serviceWorker.controller) return Promise.resolve()
  return new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }))
}

// The baseline for the storm: what an app does without a worker. Each tab holds its
// own token and, like axios-auth-refresh, answers a 401 by joining the refresh in
// flight or starting one, resends once, and forgets the refresh when a resend settles.
function refreshingWrapper(token) {
  let refreshCall
  const send = (t) => fetch(apiURL, { headers: { Authorization: 'Bearer ' + t } })
  return async () => {
    const response = await send(token)
    if (response.status !== 401) return response
    refreshCall ??= getToken().then((fresh) => { token = fresh })
    try {
      await refreshCall
      void response.body?.cancel()
      return await send(token)
    } finally {
      refreshCall = undefined
    }
  }
}

// Row 1r: requests that take turns between the two APIs, the first (index 0) to apiURL. The
// sequential runs start each measured series at index 0 again, so even samples are the first API's
// and odd ones the second's. second() sends one request to the second API, outside the turns.
function alternating(send) {
  let i = 0
  const next = () => send(i++ % 2 === 0 ? apiURL : resourceURL)
  next.reset = () => { i = 0 }
  next.second = () => send(resourceURL)
  return next
}

const VARIANTS = {
  // (a) the floor: no worker, the page sets the header itself.
  async floor() {
    const header = 'Bearer ' + (await getToken())
    return () => fetch(apiURL, { headers: { Authorization: header } })
  },
  // (b) the same page behind a worker that only passes requests through.
  async passthrough() {
    await navigator.serviceWorker.register('/passthrough-sw.js')
    await untilControlled()
    const header = 'Bearer ' + (await getToken())
    return () => fetch(apiURL, { headers: { Authorization: header } })
  },
  // Row 2's floor for a controlled page: a static route to the network, nothing else.
  async routed() {
    await navigator.serviceWorker.register('/routed-sw.js')
    await untilControlled()
    const header = 'Bearer ' + (await getToken())
    return () => fetch(apiURL, { headers: { Authorization: header } })
  },
  // (c) sw-bearer, registered by the consumer bundle the size row measures.
  async bearer() {
    const { session } = await import('/consumer-page.js')
    await session
    return () => fetch(apiURL)
  },
  // (c) with routeOthersToNetwork: the same bundles, the option set.
  async bearerRouted() {
    const { session } = await import('/consumer-page-routed.js')
    await session
    return () => fetch(apiURL)
  },
  // Row 1d (d): sw-bearer with a DPoP-bound token: the same worker, a page whose getter returns
  // { token, type: 'DPoP', key } (see DPOP_PAGE_ENTRY); the worker signs a proof for each request.
  async dpop() {
    const { session } = await import('/consumer-page-dpop.js')
    await session
    return () => fetch(apiURL)
  },
  // Row 1r (b): the passthrough worker, the page sending its one token to both APIs in turn.
  async passthroughTwo() {
    await navigator.serviceWorker.register('/passthrough-sw.js')
    await untilControlled()
    const header = 'Bearer ' + (await getToken())
    return alternating((url) => fetch(url, { headers: { Authorization: header } }))
  },
  // Row 1r (c): sw-bearer whose worker lists the second API with its resource (a token of its own,
  // fetched through the getter on its first request), the page calling plain fetch to both in turn.
  async bearerTwo() {
    const { session } = await import('/consumer-page-resources.js')
    await session
    return alternating((url) => fetch(url))
  },
  async wrapper() {
    return refreshingWrapper(await getToken())
  },
}

const round3 = (ms) => Math.round(ms * 1000) / 1000

async function timed(send) {
  const start = performance.now()
  let status = 0
  try {
    const response = await send()
    await response.arrayBuffer()
    status = response.status
  } catch {}
  return { ms: performance.now() - start, status }
}

const asset = () => fetch('/asset')

async function sequential(send, n, warmup) {
  performance.clearResourceTimings()
  for (let i = 0; i < warmup; i++) await timed(send)
  send.reset?.()
  const times = []
  let failed = 0
  for (let i = 0; i < n; i++) {
    const { ms, status } = await timed(send)
    times.push(round3(ms))
    if (status !== 200) failed++
  }
  return { times, failed }
}

window.bench = {
  async setup(variant, url, secondURL) {
    apiURL = url
    resourceURL = secondURL
    apiFetch = await VARIANTS[variant]()
    return { controlled: !!navigator.serviceWorker.controller, visibility: document.visibilityState }
  },
  sequential: (n, warmup) => sequential(apiFetch, n, warmup),
  assets: (n, warmup) => sequential(asset, n, warmup),
  async concurrent(n, warmup) {
    for (let i = 0; i < warmup; i++) await timed(apiFetch)
    const start = performance.now()
    const results = await Promise.all(Array.from({ length: n }, () => timed(apiFetch)))
    return { ms: round3(performance.now() - start), failed: results.filter((r) => r.status !== 200).length }
  },
  /** One request, timed: the cold start probe. */
  async one() {
    const { ms, status } = await timed(apiFetch)
    return { ms: round3(ms), status }
  },
  /** One request to the second API, timed: row 1r's first use of the resource. */
  async oneSecond() {
    const { ms, status } = await timed(apiFetch.second)
    return { ms: round3(ms), status }
  },
  /**
   * What one ES256 signature of a proof-sized input costs in this page, in ms: n signatures one
   * after another with a non-extractable P-256 key, timed as a whole (the page's clock is coarse).
   * Row 1d's context for what signing adds per request; the worker signs with the same Web Crypto.
   */
  async signCost(n) {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const input = new TextEncoder().encode('e'.repeat(180) + '.' + 'p'.repeat(240))
    const params = { name: 'ECDSA', hash: 'SHA-256' }
    for (let i = 0; i < 20; i++) await crypto.subtle.sign(params, privateKey, input)
    const start = performance.now()
    for (let i = 0; i < n; i++) await crypto.subtle.sign(params, privateKey, input)
    return { n, msEach: Math.round(((performance.now() - start) / n) * 10000) / 10000 }
  },
  /** n requests at once from this tab, starting at an agreed wall-clock instant. */
  async storm(n, startAtEpochMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAtEpochMs - Date.now())))
    const start = performance.timeOrigin + performance.now()
    const results = await Promise.all(Array.from({ length: n }, () => timed(apiFetch)))
    return {
      startEpochMs: start,
      endEpochMs: performance.timeOrigin + performance.now(),
      ok: results.filter((r) => r.status === 200).length,
      unauthorized: results.filter((r) => r.status === 401).length,
    }
  },
  /** How the browser routed the last request to a URL: through the fetch handler or not. */
  routing(fragment) {
    const entry = performance.getEntriesByType('resource').filter((e) => e.name.includes(fragment)).at(-1)
    if (!entry) return null
    return {
      viaWorker: entry.workerStart > 0,
      matchedSource: entry.workerMatchedSourceType || null,
      finalSource: entry.workerFinalSourceType || null,
    }
  },
}
`
