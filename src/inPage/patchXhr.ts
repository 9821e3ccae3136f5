import { shownUrl } from '../../common/decision.js'
import { isFormType, isTokenEndpointParams } from '../../common/authTraffic.js'
import { skipped, type InPagePolicy } from './policy.js'

const EVENTS = ['readystatechange', 'loadstart', 'progress', 'abort', 'error', 'load', 'timeout', 'loadend'] as const
const HEADERS_RECEIVED = 2

/** An OAuth token or revocation request (RFC 6749 §3.2, RFC 7009 §2.1) sent by XHR: the SDK's own. */
function isTokenEndpointBody(headers: ReadonlyArray<[string, string]>, body: unknown): boolean {
  const type = headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1]
  const params = body instanceof URLSearchParams ? body : typeof body === 'string' && isFormType(type) ? new URLSearchParams(body) : null
  return !!params && isTokenEndpointParams(params)
}

/**
 * Replaces `window.XMLHttpRequest` with a subclass that adds the token to requests for the
 * listed origins. On a 401 from one it hides that answer from the app (its own listeners,
 * added in the constructor, run before any of the app's and stop the events), refreshes once,
 * and sends the same request again on the same object: the app sees one request, answered by
 * the retry. A synchronous request gets the token but no retry (nothing can wait there).
 * Returns the undo.
 */
export function patchXhr(policy: InPagePolicy): () => void {
  const Native = globalThis.XMLHttpRequest
  if (typeof Native !== 'function') return () => {}
  /** Objects firing events of our own making, whose readyState reads DONE meanwhile (as the browser's would). */
  const done = new WeakSet<object>()
  const nativeReadyState = Object.getOwnPropertyDescriptor(Native.prototype, 'readyState')?.get

  class XMLHttpRequest extends Native {
    #open: unknown[] = []
    #url: URL | null = null
    #method = 'GET'
    #async = true
    #headers: Array<[string, string]> = []
    #body: Document | XMLHttpRequestBodyInit | null = null
    /** hide: the 401 being replaced; reopen: the retry's own open and loadstart, seen once already. */
    #phase: 'pass' | 'hide' | 'reopen' = 'pass'
    #authorized = false
    #retried = false
    /** Bumps on every open() and abort(): a refresh that ends after one belongs to a request that is over. */
    #attempt = 0
    #replaying = false
    /** send() was called but waits for a refresh before the browser's send(). */
    #deferred = false
    #sent: string | null = null
    #logouts = 0

    constructor() {
      super()
      for (const type of EVENTS) this.addEventListener(type, this.#gate)
    }

    override open(...args: unknown[]): void {
      // Read the URL once: what is decided on is what the browser opens (an object could answer twice).
      if (args.length >= 2) args[1] = String(args[1])
      done.delete(this) // reopened inside one of our events: its readyState is the browser's again
      this.#open = args
      this.#method = String(args[0]).toUpperCase()
      try {
        this.#url = new URL(String(args[1]), document.baseURI)
      } catch {
        this.#url = null
      }
      this.#async = args.length < 3 || args[2] !== false
      this.#headers = []
      this.#phase = 'pass'
      this.#attempt++
      this.#deferred = false
      this.#authorized = this.#retried = false
      return (super.open as (...a: unknown[]) => void)(...args)
    }

    override setRequestHeader(name: string, value: string): void {
      super.setRequestHeader(name, value)
      this.#headers.push([name, value])
    }

    override abort(): void {
      // A send waiting for a refresh, or a 401 hidden while one runs: the browser thinks that
      // request is not sent, or over, and fires nothing. The app still hears its abort.
      const silent = this.#deferred || (this.#phase === 'hide' && super.readyState === Native.DONE)
      this.#attempt++
      this.#deferred = false
      this.#phase = 'pass'
      super.abort()
      if (silent) this.#dispatch(['readystatechange', 'abort', 'loadend'])
    }

    override send(body?: Document | XMLHttpRequestBodyInit | null): void {
      const url = this.#url
      if (!policy.active || !url) return super.send(body)
      const hasAuthorization = this.#headers.some(([name]) => name.toLowerCase() === 'authorization')
      const verdict = policy.verdict(url, 'cors', hasAuthorization)
      if (!verdict.getsToken) {
        const decision = skipped(this.#method, url, verdict)
        if (decision) policy.report(decision)
        return super.send(body)
      }
      if (isTokenEndpointBody(this.#headers, body)) {
        policy.report({ kind: 'skipped', method: this.#method, url: shownUrl(url), reason: 'auth-route' })
        return super.send(body)
      }
      this.#body = body ?? null
      this.#authorized = true
      const { tokens } = policy
      // The hot path, and a synchronous request (which cannot wait): send now, as the browser would.
      if (!this.#async || tokens.calm()) return this.#sendWith(tokens.token, body)
      this.#deferred = true
      const attempt = this.#attempt
      void tokens.ready().then((bare) => {
        if (this.#attempt === attempt) this.#sendWith(bare ? null : tokens.token, body)
      })
    }

    #sendWith(token: string | null, body?: Document | XMLHttpRequestBodyInit | null): void {
      this.#deferred = false
      const url = shownUrl(this.#url!)
      this.#sent = token
      this.#logouts = policy.tokens.logouts
      if (token !== null) {
        super.setRequestHeader('Authorization', `Bearer ${token}`)
        policy.report({ kind: 'injected', method: this.#method, url })
      } else policy.report({ kind: 'skipped', method: this.#method, url, reason: 'signed-out' })
      super.send(body)
    }

    /** First in line for this object's events: hides the 401 while it is replaced. */
    #gate = (event: Event): void => {
      if (this.#replaying) return
      if (this.#phase !== 'pass') {
        event.stopImmediatePropagation()
        if (this.#phase === 'hide' && event.type === 'loadend') void this.#retry()
        return
      }
      if (event.type === 'loadend' && this.#retried) {
        policy.report({ kind: 'retried', method: this.#method, url: shownUrl(this.#url!), status: this.status })
      }
      const refused =
        event.type === 'readystatechange' &&
        this.readyState === HEADERS_RECEIVED &&
        this.#authorized &&
        this.#async &&
        !this.#retried &&
        policy.active &&
        policy.refusedByApi(this.status, this.responseURL)
      if (!refused) return
      this.#phase = 'hide'
      event.stopImmediatePropagation()
      policy.report({ kind: 'refreshing', method: this.#method, url: shownUrl(this.#url!) })
    }

    async #retry(): Promise<void> {
      const { tokens } = policy
      const attempt = this.#attempt
      const worth = await tokens.recover(this.#sent, this.#logouts)
      // Aborted or opened again meanwhile: that request is over, and this object is another's now.
      if (this.#attempt !== attempt || !policy.active) return
      const token = tokens.token
      if (!worth || token === null) return this.#deliver()
      this.#retried = true
      this.#phase = 'reopen'
      try {
        ;(super.open as (...a: unknown[]) => void)(...this.#open)
        for (const [name, value] of this.#headers) super.setRequestHeader(name, value)
        this.#sent = token
        super.setRequestHeader('Authorization', `Bearer ${token}`)
        super.send(this.#body)
      } finally {
        this.#phase = 'pass'
      }
    }

    /** No retry after all: the app gets the 401 it would have had, its events once more. */
    #deliver(): void {
      this.#phase = 'pass'
      this.#dispatch(['readystatechange', 'load', 'loadend'])
    }

    /** Events of our own making, which the gate lets through; readyState reads DONE meanwhile. */
    #dispatch(types: readonly string[]): void {
      this.#replaying = true
      done.add(this)
      const attempt = this.#attempt
      try {
        for (const type of types) {
          // A listener that opened the object again (a retry of the app's own) ends this request's events.
          if (this.#attempt !== attempt) break
          this.dispatchEvent(type === 'readystatechange' ? new Event(type) : new ProgressEvent(type))
        }
      } finally {
        this.#replaying = false
        done.delete(this)
      }
    }
  }

  if (nativeReadyState) {
    Object.defineProperty(XMLHttpRequest.prototype, 'readyState', {
      configurable: true,
      get(this: XMLHttpRequest) {
        return done.has(this) ? Native.DONE : nativeReadyState.call(this)
      },
    })
  }
  globalThis.XMLHttpRequest = XMLHttpRequest
  return () => {
    if (globalThis.XMLHttpRequest === XMLHttpRequest) globalThis.XMLHttpRequest = Native
  }
}
