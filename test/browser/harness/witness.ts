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
