/// <reference lib="webworker" />

declare const self: ServiceWorkerGlobalScope

/**
 * The other versions of this worker. During a deploy the old and the new one run side
 * by side, each with its own memory: whichever stores a new token tells the other, which
 * reads it back from IndexedDB, so the new worker never sends an older token than the
 * old one holds, nor refreshes again for a revocation the old one has already handled.
 * Named by scope, like the database: another app on the origin is not a peer.
 *
 * @returns a function that tells the peers something new is stored.
 */
export function listenToPeers(onNews: () => void): () => void {
  if (typeof BroadcastChannel !== 'function') return () => {}
  const channel = new BroadcastChannel(`sw-bearer ${self.registration.scope}`)
  channel.onmessage = onNews
  return () => channel.postMessage(0)
}

/**
 * Runs `fn` while no other version of this worker runs its own: the single flight, across
 * a deploy. Web Locks (in service workers of every engine tested here); without them, at once.
 * The wait is bounded: a lock held for good (a page script of this origin may take it too)
 * must not hold requests for good, so after `waitMs` the flight runs anyway.
 */
export function exclusive<T>(fn: () => Promise<T>, waitMs: number): Promise<T> {
  const locks = (self.navigator as WorkerNavigator & { locks?: LockManager }).locks
  if (typeof locks?.request !== 'function') return fn()
  let granted = false
  const run = () => ((granted = true), fn())
  return (locks.request(`sw-bearer refresh ${self.registration.scope}`, { signal: AbortSignal.timeout(waitMs) }, run) as Promise<T>).catch(
    (error: unknown) => {
      if (granted) throw error
      return fn()
    },
  )
}
