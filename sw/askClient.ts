/// <reference lib="webworker" />
import { parseRefreshAnswer, workerMessage, type RefreshReason } from '../common/protocol.js'
import type { WireError } from '../common/errors.js'
import { DEV } from './dev.js'

declare const self: ServiceWorkerGlobalScope

/** What the tab's getter is told: see GetAccessTokenContext on the page side. */
export interface AskContext {
  reason: RefreshReason
  forceRefresh: boolean
  /** The resource (RFC 8707) whose token is wanted; undefined for the default token. */
  resource?: string | undefined
}

/** What one tab made of a refresh request. */
export type Answer =
  /** `key`: the token is DPoP-bound to it (RFC 9449); absent: a Bearer token. */
  | { kind: 'token'; token: string | null; key?: CryptoKeyPair }
  | { kind: 'error'; error: WireError }
  /** Never acknowledged, closed, or went away: worth asking another tab. */
  | { kind: 'gone' }

// How often to look whether an acknowledged tab still exists while it refreshes.
const ALIVE_CHECK_MS = 500

/**
 * Asks one tab to run its getAccessToken. Two clocks, on purpose: the tab has
 * `timeoutMs` to acknowledge (a frozen or dead tab never does), and once it has,
 * another `timeoutMs` for the provider itself. A tab slowed by a request storm
 * acknowledges late but is not abandoned while it is still working.
 */
export function askClient(client: Client, { reason, forceRefresh, resource }: AskContext, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel()
    let timer = setTimeout(() => finish({ kind: 'gone' }), timeoutMs)
    let aliveCheck: ReturnType<typeof setInterval> | undefined

    function finish(answer: Answer): void {
      clearTimeout(timer)
      clearInterval(aliveCheck)
      port1.onmessage = null
      port1.close()
      resolve(answer)
    }

    port1.onmessage = (event: MessageEvent) => {
      const answer = parseRefreshAnswer(event.data)
      if (answer?.type === 'refresh-ack' && aliveCheck === undefined) {
        clearTimeout(timer)
        timer = setTimeout(
          () => finish({ kind: 'error', error: { code: 'timeout', message: DEV ? `getAccessToken did not settle within ${timeoutMs} ms` : 'timeout' } }),
          timeoutMs,
        )
        // A tab closed mid-refresh never answers; notice that instead of waiting out the clock.
        aliveCheck = setInterval(() => {
          void self.clients.get(client.id).then((found) => found || finish({ kind: 'gone' }))
        }, ALIVE_CHECK_MS)
      } else if (answer?.type === 'refresh-result') {
        finish(answer.key ? { kind: 'token', token: answer.token, key: answer.key } : { kind: 'token', token: answer.token })
      } else if (answer?.type === 'refresh-error') {
        finish({ kind: 'error', error: answer.error })
      }
    }
    try {
      const body = { reason, forceRefresh, timeoutMs, sentAt: Date.now(), dpop: true }
      client.postMessage(workerMessage('refresh-request', resource === undefined ? body : { ...body, resource }), [port2])
    } catch {
      finish({ kind: 'gone' })
    }
  })
}
