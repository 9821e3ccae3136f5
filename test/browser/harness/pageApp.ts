/**
 * The test page's own script, served as /app.js: a tiny app that registers the
 * worker the way a user's app would and exposes a few helpers to the tests.
 */
export const PAGE_HTML = `<!doctype html><meta charset="utf-8"><title>sw-bearer test page</title>
<script type="module" src="/app.js"></script><body>test page</body>`

export const APP_JS = `
import * as lib from '/page.js'
window.lib = lib
window.events = []
window.providerCalls = 0
window.contexts = []
// Where the SDK gets its token: a GET on the page origin by default; form: true makes it an
// OAuth token request (RFC 6749 §6), as real SDKs send to their token endpoint.
window.tokenRoute = { url: '/token', form: false, worker: false }
async function getAccessToken(context) {
  window.providerCalls++
  window.contexts.push(context)
  // A provider that fails for resources only (issue 15: one resource's failure stops no other's).
  if (context?.resource && window.failResources) throw new Error('provider down for ' + context.resource)
  // Like an SDK's ordinary getter: its cache unless told to force (a getter from before the context existed never was)
  const force = context?.forceRefresh ? '1' : '0'
  const { url, form, worker } = window.tokenRoute
  // worker: the SDK makes its token call from a Web Worker of its own, as auth0-spa-js does.
  if (worker) {
    const body = await new Promise((resolve, reject) => {
      const w = new Worker('/token-worker.js')
      w.onmessage = (event) => (w.terminate(), resolve(event.data))
      w.onerror = (event) => (w.terminate(), reject(new Error(event.message)))
      w.postMessage(url + '?force=' + force)
    })
    if (!body.ok) throw new Error('provider answered ' + body.status)
    return body.token
  }
  const response = form
    ? await fetch(url, { method: 'POST', cache: 'no-store', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt', force }) })
    : await fetch(url + '?force=' + force, { cache: 'no-store' })
  if (!response.ok) throw new Error('provider answered ' + response.status)
  const token = (await response.json()).token
  // A resource's token (issue 15) tells itself apart from the default one by this prefix.
  return context?.resource ? 'resource.' + token : token
}
window.register = async (extra = {}) => {
  const session = await lib.registerTokenServiceWorker({ scriptURL: '/sw.js', type: 'module', getAccessToken, ...extra })
  for (const type of ['tokenchange', 'logout', 'error', 'modechange']) {
    session.addEventListener(type, (event) => window.events.push({
      type,
      claims: event.detail && 'claims' in event.detail ? event.detail.claims : undefined,
      code: event.detail && event.detail.error ? event.detail.error.code ?? String(event.detail.error) : undefined,
      mode: event.detail && event.detail.mode,
    }))
  }
  window.decisions = []
  session.addEventListener('decision', (event) => window.decisions.push(event.detail.decision))
  window.session = session
  return { claims: session.claims, controlled: !!navigator.serviceWorker?.controller, mode: session.mode }
}
window.call = async (url, init) => {
  try {
    const response = await fetch(url, init)
    return { status: response.status, body: await response.text() }
  } catch (error) {
    return { status: 0, error: String(error) }
  }
}
window.callMany = (urls, init) => Promise.all(urls.map((url) => window.call(url, init)))
window.xhr = (url, method = 'GET', body = null) => new Promise((resolve) => {
  const request = new XMLHttpRequest()
  request.open(method, url)
  request.onload = () => resolve({ status: request.status, body: request.responseText })
  request.onerror = () => resolve({ status: 0, error: 'network error' })
  request.send(body)
})
// What session.inspect() says, its workerError as plain data (an Error does not cross evaluate in every driver).
window.inspect = async (url) => {
  const inspection = await window.session.inspect(url ?? undefined)
  const error = inspection.workerError
  return { ...inspection, workerError: error && { name: error.name, code: error.code, message: error.message } }
}
// Whether fetch and XMLHttpRequest are the browser's own (not patched by the in-page mode).
window.natives = () => ({
  fetch: Function.prototype.toString.call(window.fetch).includes('[native code]'),
  xhr: Function.prototype.toString.call(window.XMLHttpRequest).includes('[native code]'),
})
// Every console line this page prints from now on, as text (the same in every engine's driver).
window.captureConsole = () => {
  window.consoleLines = []
  for (const level of ['log', 'debug', 'info', 'warn', 'error']) {
    const original = console[level]
    console[level] = (...args) => {
      window.consoleLines.push(level + ': ' + args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
      original.apply(console, args)
    }
  }
}
window.swError = async (promise) => {
  try { await promise; return null } catch (error) { return { name: error.name, code: error.code, message: error.message } }
}
`

/** The SDK's Web Worker: one token call, a JSON POST, as SDKs that keep refresh tokens off the page make. */
export const TOKEN_WORKER_JS = `
onmessage = async (event) => {
  try {
    const response = await fetch(event.data, { method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json' }, body: '{"grant":"refresh"}' })
    const body = await response.json()
    postMessage({ ok: response.ok, status: response.status, token: body.token })
  } catch (error) {
    postMessage({ ok: false, status: 0 })
  }
}
`
