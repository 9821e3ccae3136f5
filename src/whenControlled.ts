import { SwBearerError } from '../common/errors.js'

/**
 * The worker, unless it is redundant: one removed with the site's data (DevTools,
 * Clear-Site-Data) stays the page's controller until the page reloads, and answers nothing.
 */
export const live = (worker: ServiceWorker | null | undefined): ServiceWorker | null =>
  worker && worker.state !== 'redundant' ? worker : null

/**
 * The worker to talk to: the newest, once it is activated. A new version that is installed
 * but waits (the app's worker leaves `skipWaiting` to its own update flow, such as a "new
 * version, reload?" prompt) may wait for good: the active worker serves this page meanwhile.
 */
export function whenActive(registration: ServiceWorkerRegistration, timeoutMs: number): Promise<ServiceWorker> {
  const newest = () => registration.installing ?? registration.active ?? registration.waiting
  const worker = newest()
  if (!worker) return Promise.reject(new SwBearerError('registration-failed', 'The registration has no service worker'))
  // Controlling this page, it is past activation whatever its state says: WebKit leaves a page
  // that loaded while the worker activated with 'activating', and sends it no statechange.
  if (worker.state === 'activated' || worker === navigator.serviceWorker.controller) return Promise.resolve(worker)
  return bounded(timeoutMs, 'activate', (resolve, reject) => {
    const onState = () => {
      if (worker.state === 'activated') resolve(worker)
      if (worker.state === 'installed' && registration.active) resolve(registration.active)
      if (worker.state === 'redundant') {
        // Replaced by a newer version while installing: follow that one.
        const next = newest()
        if (next && next !== worker) whenActive(registration, timeoutMs).then(resolve, reject)
        else reject(new SwBearerError('registration-failed', 'The service worker became redundant while installing'))
      }
    }
    worker.addEventListener('statechange', onState)
    return () => worker.removeEventListener('statechange', onState)
  })
}

/**
 * Resolves once this page is controlled. `claim` asks the active worker to claim
 * us: a hard reload leaves a page uncontrolled even though a worker is active.
 */
export function whenControlled(claim: () => void, timeoutMs: number): Promise<ServiceWorker> {
  const container = navigator.serviceWorker
  const current = live(container.controller)
  if (current) return Promise.resolve(current)
  return bounded(timeoutMs, 'control this page', (resolve) => {
    const onChange = () => {
      const next = live(container.controller)
      if (next) resolve(next)
    }
    container.addEventListener('controllerchange', onChange)
    claim()
    return () => container.removeEventListener('controllerchange', onChange)
  })
}

function bounded<T>(
  timeoutMs: number,
  what: string,
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let stop = () => {}
    const timer = setTimeout(() => {
      stop()
      reject(new SwBearerError('registration-failed', `The service worker did not ${what} within ${timeoutMs} ms`))
    }, timeoutMs)
    const settle = <A>(fn: (arg: A) => void) => (arg: A) => {
      clearTimeout(timer)
      stop()
      fn(arg)
    }
    stop = start(settle(resolve), settle(reject))
  })
}
