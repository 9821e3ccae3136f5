import { fromWire, SwBearerError } from '../common/errors.js'
import type { Verdict } from '../common/decision.js'
import { parseWorkerReply, type PageMessage, type SessionState } from '../common/protocol.js'

export interface Reply {
  state: SessionState
  token?: string | null
  verdict?: Verdict
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
      if (!reply.ok) return reject(fromWire(reply.error))
      const { state, token, verdict } = reply
      resolve({ state, ...(token === undefined ? {} : { token }), ...(verdict === undefined ? {} : { verdict }) })
    }
    worker.postMessage(message, [port2])
  })
}
