import type { Tab } from './engines/engine.js'

/**
 * A fetch listener added before sw-bearer's in the lab's worker script, when a test asks for it:
 * it only notes which requests reached the worker's fetch event, which no page API can tell
 * in every engine (Firefox reports `workerStart` 0 for a request the worker passed on). Before,
 * because `respondWith` stops immediate propagation (Service Workers, FetchEvent.respondWith()):
 * a listener after sw-bearer's never hears of the API requests.
 */
export const WITNESS_SOURCE = `
const reachedFetchEvent = []
self.addEventListener('fetch', (event) => reachedFetchEvent.push(event.request.url))
self.addEventListener('message', (event) => {
  if (event.data === 'witness:fetch-events') event.ports[0]?.postMessage(reachedFetchEvent)
})
`

/** The URLs whose requests reached the worker's fetch event so far. */
export const fetchEventsSeen = (page: Tab): Promise<string[]> =>
  page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const { port1, port2 } = new MessageChannel()
        port1.onmessage = (event) => resolve(event.data)
        navigator.serviceWorker.controller!.postMessage('witness:fetch-events', [port2])
      }),
  )

/**
 * In every lab worker script: an id drawn when the script runs, so a test can tell a worker
 * that really restarted from one that only sat idle (see Lab.restartWorkerAway).
 */
export const INSTANCE_SOURCE = `
const labInstance = crypto.randomUUID()
self.addEventListener('message', (event) => {
  if (event.data === 'lab:instance') event.ports[0]?.postMessage(labInstance)
})
`

/** The id of the worker instance that controls the page, or null when none does. */
export const workerInstance = (page: Tab): Promise<string | null> =>
  page.evaluate(
    () =>
      new Promise<string | null>((resolve) => {
        const controller = navigator.serviceWorker.controller
        if (!controller) return resolve(null)
        const { port1, port2 } = new MessageChannel()
        port1.onmessage = (event) => resolve(event.data)
        controller.postMessage('lab:instance', [port2])
      }),
  )
