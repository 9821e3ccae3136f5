import type { ActivityEvent, Counters } from '../start.js'
import type { ActivityLog, EntryKind } from './ActivityLog.ts'

// The demo server's own types (start.d.ts), so page and server cannot drift apart.
type ServerEvent = ActivityEvent
export type { Counters }

const KINDS: Record<ServerEvent['kind'], EntryKind> = {
  login: 'sign-in',
  token: 'provider',
  refresh: 'refresh',
  refused: 'error',
  revoked: 'logout',
  injected: 'injected',
  unauthorized: 'unauthorized',
  retry: 'retry',
  revoke: 'revoke',
  error: 'error',
}

const POLL_MS = 1000

/**
 * Follows what the OpenID Provider and the API observed. Short polls, not a stream: a
 * stream per tab would hold one of the browser's six connections to this origin.
 */
export function followServerActivity(log: ActivityLog, onCounters: (counters: Counters) => void): { poke(): void } {
  let seq: number | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<void> | undefined
  let again = false

  async function poll(): Promise<void> {
    clearTimeout(timer)
    try {
      const response = await fetch(`/demo/activity${seq === undefined ? '' : `?after=${seq}`}`, { cache: 'no-store' })
      const body = (await response.json()) as { seq: number; events: ServerEvent[]; counters: Counters }
      for (const event of body.events) log.add({ at: event.at, kind: KINDS[event.kind], source: event.source, text: event.text })
      seq = body.seq
      onCounters(body.counters)
    } catch {
      // The demo server stopped or restarted; keep trying quietly.
    }
    timer = setTimeout(poke, document.visibilityState === 'visible' ? POLL_MS : POLL_MS * 5)
  }

  function poke(): void {
    if (running) {
      again = true
      return
    }
    running = poll().finally(() => {
      running = undefined
      if (again) {
        again = false
        poke()
      }
    })
  }

  poke()
  return { poke }
}
