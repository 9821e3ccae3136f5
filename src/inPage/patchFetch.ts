import { isFormPost, isTokenEndpointRequest } from '../../common/authTraffic.js'
import { shownUrl } from '../../common/decision.js'
import { skipped, type InPagePolicy } from './policy.js'

/** The URL a fetch is for, without building a Request (which would take a stream body). */
function targetOf(input: RequestInfo | URL): URL | null {
  try {
    return new URL(input instanceof Request ? input.url : String(input), document.baseURI)
  } catch {
    return null
  }
}

/** `wait`, unless the app aborts first: then its reason, at once, as the browser's fetch would. */
function unlessAborted<T>(signal: AbortSignal, wait: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    wait.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function withToken(request: Request, header: string): Request {
  const copy = new Request(request)
  copy.headers.set('Authorization', header)
  return copy
}

/**
 * Replaces `window.fetch` with one that adds the token to requests for the listed origins,
 * and on a 401 from one refreshes once and retries once with the body replayed. Every other
 * call goes to the browser's fetch with its arguments untouched. Returns the undo.
 */
export function patchFetch(policy: InPagePolicy): () => void {
  const native = globalThis.fetch
  const nativeFetch = (input: RequestInfo | URL, init?: RequestInit) => native.call(globalThis, input, init)

  async function send(request: Request): Promise<Response> {
    const { tokens } = policy
    const url = new URL(request.url)
    if (isFormPost(request) && (await isTokenEndpointRequest(request))) {
      policy.report({ kind: 'skipped', method: request.method, url: shownUrl(url), reason: 'auth-route' })
      return nativeFetch(request)
    }
    // Bodies are streams: keep an unread copy so the retry sends the same bytes.
    const replay = request.method === 'GET' || request.method === 'HEAD' ? request : request.clone()
    const bare = await unlessAborted(request.signal, tokens.ready())
    const logouts = tokens.logouts
    const sent = bare ? null : tokens.token
    if (sent === null && !bare) {
      policy.report({ kind: 'skipped', method: request.method, url: shownUrl(url), reason: 'signed-out' })
      return nativeFetch(request)
    }
    if (sent !== null) policy.report({ kind: 'injected', method: request.method, url: shownUrl(url) })
    const first = await nativeFetch(sent === null ? request : withToken(request, `Bearer ${sent}`))
    if (!policy.refusedByApi(first.status, first.url)) return first
    policy.report({ kind: 'refreshing', method: request.method, url: shownUrl(url) })
    if (!(await unlessAborted(request.signal, tokens.recover(sent, logouts))) || tokens.token === null) return first
    void first.body?.cancel()
    const retry = await nativeFetch(withToken(replay, `Bearer ${tokens.token}`))
    policy.report({ kind: 'retried', method: request.method, url: shownUrl(url), status: retry.status })
    return retry
  }

  const patched = function fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = policy.active ? targetOf(input) : null
    if (!url) return nativeFetch(input, init)
    // The hot path for everything else: no Request is built, nothing awaits.
    const quick = policy.verdict(url, 'cors', false)
    if (!quick.getsToken && quick.reason === 'not-listed') return nativeFetch(input, init)
    let request: Request
    try {
      request = new Request(input, init)
    } catch {
      return nativeFetch(input, init) // the browser's own TypeError, as without sw-bearer
    }
    // Decide on the URL the browser will fetch: the input was read once more to build the
    // Request, and an object can answer differently each time (or a Request subclass lie in `url`).
    const target = new URL(request.url)
    const verdict = policy.verdict(target, request.mode, request.headers.has('authorization'))
    if (!verdict.getsToken) {
      const decision = skipped(request.method, target, verdict)
      if (decision) policy.report(decision)
      return nativeFetch(request)
    }
    return send(request)
  }
  globalThis.fetch = patched
  return () => {
    if (globalThis.fetch === patched) globalThis.fetch = native
  }
}
