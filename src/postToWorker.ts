import { fromWire, SwBearerError } from '../common/errors.js'
import { parseWorkerReply, type PageMessage, type SessionState } from '../common/protocol.js'

export interface Reply {
  state: SessionState
  token?: string | null
}

/**
 * Sends one message and waits for the worker's answer on a private port. The wait
 * is bounded: a worker that never answers yields a `timeout`, not a hang.
 */
export function postToWorker(worker: ServiceWorker, message: PageMessage, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel()
    const timer = setTimeout(() => {
      port1.close()
      reject(new SwBearerError('timeout', `The service worker did not answer "${message.type}" within ${timeoutMs} ms`))
    }, timeoutMs)
    port1.onmessage = (event: MessageEvent) => {
      const reply = parseWorkerReply(event.data)
      if (!reply) return
      clearTimeout(timer)
      port1.close()
      if (reply.ok) resolve(reply.token === undefined ? { state: reply.state } : { state: reply.state, token: reply.token })
      else reject(fromWire(reply.error))
    }
    worker.postMessage(message, [port2])
  })
}
