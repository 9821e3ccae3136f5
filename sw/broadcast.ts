/// <reference lib="webworker" />
import type { WireError } from '../common/errors.js'
import { workerMessage, type SessionState } from '../common/protocol.js'

declare const self: ServiceWorkerGlobalScope

/**
 * The tabs in this worker's scope, controlled or not yet. Not every same-origin tab:
 * another app on the origin, under another scope with its own worker, has its own session.
 */
export async function scopeWindows(): Promise<readonly WindowClient[]> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  return windows.filter((w) => w.url.startsWith(self.registration.scope))
}

/** Tells every tab in scope what the session looks like now. */
export async function broadcastState(state: SessionState): Promise<void> {
  const windows = await scopeWindows()
  const message = workerMessage('state', { state })
  for (const client of windows) client.postMessage(message)
}

/** Tells one tab of a failure only the worker could see; the tab fires it as `error`. */
export function tellClient(client: Client, error: WireError): void {
  client.postMessage(workerMessage('error', { error }))
}

/** Tells every tab in scope of such a failure. */
export async function broadcastError(error: WireError): Promise<void> {
  for (const client of await scopeWindows()) tellClient(client, error)
}
