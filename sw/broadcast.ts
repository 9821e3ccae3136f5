/// <reference lib="webworker" />
import { workerMessage, type SessionState } from '../common/protocol.js'

declare const self: ServiceWorkerGlobalScope

/** Tells every tab in scope, controlled or not yet, what the session looks like now. */
export async function broadcastState(state: SessionState): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const message = workerMessage('state', { state })
  for (const client of windows) client.postMessage(message)
}
