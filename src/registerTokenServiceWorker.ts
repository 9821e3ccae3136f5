import { SwBearerError } from '../common/errors.js'
import { pageMessage } from '../common/protocol.js'
import { loadFallback, type FallbackOptions } from './fallback.js'
import { postToWorker } from './postToWorker.js'
import { onRefreshMoments } from './refreshTriggers.js'
import { TokenSession, type GetAccessToken } from './TokenSession.js'
import { live, whenActive, whenControlled } from './whenControlled.js'

export interface RegisterOptions {
  /** The service worker script that calls installTokenInjection. */
  scriptURL: string | URL
  scope?: string
  /** `'module'` for an ES module worker script. */
  type?: WorkerType
  /** The auth SDK's refreshing getter; null or undefined means nobody is signed in. */
  getAccessToken: GetAccessToken
  /**
   * Never lock the user out: when service workers are unavailable (an insecure origin, a
   * private window, a browser policy), the registration fails (a 404 script, a script that
   * throws, a CSP without `worker-src`) or the worker does not control the page within
   * `timeoutMs`, the session runs in the page (`session.mode` 'in-page'): its `fetch` and
   * `XMLHttpRequest` to exactly these origins carry the token, with the worker's rules. Without
   * it, registration rejects with its coded error.
   * @example fallback: { apiOrigins: ['https://api.example.com'] }
   */
  fallback?: FallbackOptions
  /**
   * Logs each decision about a request to a listed origin or a near miss (injected, left alone
   * and why, 401 → refresh → retry, refresh failures) to this page's console and fires it as a
   * `decision` event; never a token. Development builds warn about near misses without it.
   * Covers the in-page mode; the worker's decisions come with `installTokenInjection`'s `debug`.
   */
  debug?: boolean
}

const SETUP_TIMEOUT_MS = 30_000
/** An active worker answers a message at once; a cold start under load takes a few seconds at most. */
const HELLO_TIMEOUT_MS = 10_000

/**
 * Registers the worker and resolves once this page is controlled and the worker
 * holds the token getAccessToken returned, so the very next fetch carries it.
 *
 * @example
 * const session = await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken })
 * await fetch('https://api.example.com/me') // Authorization: Bearer …
 */
export async function registerTokenServiceWorker(options: RegisterOptions): Promise<TokenSession> {
  if (typeof options?.getAccessToken !== 'function') {
    throw new SwBearerError('invalid-options', 'registerTokenServiceWorker: getAccessToken must be a function')
  }
  if (typeof options.scriptURL !== 'string' && !(options.scriptURL instanceof URL)) {
    throw new SwBearerError('invalid-options', 'registerTokenServiceWorker: scriptURL must be a string or URL')
  }
  if (options.scope !== undefined && typeof options.scope !== 'string') {
    throw new SwBearerError('invalid-options', 'registerTokenServiceWorker: scope must be a string')
  }
  if (options.debug !== undefined && typeof options.debug !== 'boolean') {
    throw new SwBearerError('invalid-options', 'registerTokenServiceWorker: debug must be true or false')
  }
  if (options.type !== undefined && options.type !== 'classic' && options.type !== 'module') {
    throw new SwBearerError('invalid-options', `registerTokenServiceWorker: type must be 'classic' or 'module'`)
  }
  const scope = new URL(options.scope ?? './', new URL(String(options.scriptURL), location.href)).href
  const fallback = await loadFallback(options.fallback, scope)
  /** The worker that answered `hello`: sw-bearer runs there, whether it controls this page or not. */
  let speaking: ServiceWorker | undefined
  const setup = { debug: options.debug === true, speaking: () => live(speaking), ...(fallback ? { inPage: fallback.start } : {}) }

  const container = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker
  if (!container) {
    const unsupported = new SwBearerError('unsupported', 'Service workers are not available here (an insecure origin or a private window?)')
    if (!fallback) throw unsupported
    const session = new TokenSession(options.getAccessToken, () => null, () => Promise.reject(unsupported), setup)
    session.runInPage(unsupported)
    return start(session)
  }
  let registration: ServiceWorkerRegistration | undefined
  /** Registers (again) and waits until the worker controls this page. */
  async function connect(): Promise<void> {
    try {
      registration = await container!.register(options.scriptURL, {
        ...(options.scope === undefined ? {} : { scope: options.scope }),
        ...(options.type === undefined ? {} : { type: options.type }),
      })
      if (!location.href.startsWith(registration.scope)) {
        // The worker could never control this page, so nothing it sends would carry a token.
        throw new SwBearerError('registration-failed', `This page is outside the worker's scope ${registration.scope}`)
      }
      const active = await whenActive(registration, SETUP_TIMEOUT_MS)
      // A worker that runs sw-bearer answers `hello` (and claims this page on it). One that
      // does not (the script never calls installTokenInjection, or its importScripts failed)
      // never will: say so now, rather than wait out SETUP_TIMEOUT_MS for a control that may come
      // from the app's own worker and would leave every request without a token.
      let hello: Promise<unknown> | undefined
      const helloOnce = () => (hello ??= postToWorker(active, pageMessage('hello', {}), HELLO_TIMEOUT_MS).then(() => (speaking = active)))
      await Promise.all([
        whenControlled(helloOnce, SETUP_TIMEOUT_MS),
        helloOnce().catch(() => {
          throw new SwBearerError('registration-failed', 'The worker does not answer as sw-bearer: does it call installTokenInjection?')
        }),
      ])
    } catch (error) {
      throw error instanceof SwBearerError
        ? error
        : new SwBearerError('registration-failed', `Service worker registration failed: ${String(error)}`, { cause: error })
    }
  }
  const session = new TokenSession(options.getAccessToken, () => live(container.controller) ?? live(registration?.active), connect, setup)
  // Listen before registering: the worker may ask this tab to refresh at any time.
  container.addEventListener('message', session.receive)
  container.startMessages()

  const connecting = connect()
  try {
    await (fallback ? withinMs(connecting, fallback.timeoutMs) : connecting)
  } catch (error) {
    if (!session.runInPage(error as SwBearerError)) {
      container.removeEventListener('message', session.receive)
      session.retire()
      throw error
    }
    // A worker that takes control later (it was slow to install, or a later deploy fixed it) takes over.
    const takeOver = () => void (live(container.controller) ? session.moveToWorker() : undefined)?.catch(() => {})
    connecting.then(takeOver, () => {})
    container.addEventListener('controllerchange', takeOver)
  }

  // Site data cleared with the worker (Clear-Site-Data: "storage", DevTools): this page is no
  // longer controlled, so its requests would go out without a token while it says signed in.
  // Register again, and get the token through the new worker's startup flight.
  container.addEventListener('controllerchange', () => {
    if (live(container.controller) || session.mode === 'in-page') return
    void session.exchange(pageMessage('start', {})).catch((error: unknown) => session.reportError(error))
  })
  return start(session)
}

/** The session's first token, then the moments that may make it stale; hands the session to the app. */
async function start(session: TokenSession): Promise<TokenSession> {
  try {
    // Through the worker's single flight, like every provider call: tabs restored together
    // make one call, and a worker holding a good token lets the SDK answer from its cache.
    await session.exchange(pageMessage('start', {}))
  } catch (error) {
    // The worker did not answer in time (a worker from an older deploy ignores `start`):
    // keep whatever token it holds. A failing getter is not this: the worker answers
    // `start` anyway, and the tab that ran the getter reports why as an `error` event.
    await session.exchange(pageMessage('hello', {}))
    session.reportError(error)
  }
  // The answer carries the worker's state: a tab restored from the back/forward cache missed
  // every broadcast while frozen (a logout, a new user), and catches up here, events and all.
  onRefreshMoments(() => void session.exchange(pageMessage('ensure-fresh', {})).catch(() => {}))
  session.ready()
  return session
}

/** `promise`, or a `registration-failed` once `ms` pass first (the promise goes on). */
function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SwBearerError('registration-failed', `The service worker did not control this page within ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
