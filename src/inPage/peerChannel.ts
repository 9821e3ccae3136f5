import { isBearerToken } from '../../common/bearerToken.js'
import { PROTOCOL, PROTOCOL_VERSION } from '../../common/protocol.js'

/** What one tab tells the others, in-page mode only (the worker is the hub otherwise). */
type PeerMessage =
  | { protocol: typeof PROTOCOL; v: typeof PROTOCOL_VERSION; type: 'peer-token'; token: string }
  | { protocol: typeof PROTOCOL; v: typeof PROTOCOL_VERSION; type: 'peer-logout' }
  | { protocol: typeof PROTOCOL; v: typeof PROTOCOL_VERSION; type: 'peer-refreshing'; on: boolean }
  /** A tab without Web Locks wants to call its provider: the lowest `id` of the moment does. */
  | { protocol: typeof PROTOCOL; v: typeof PROTOCOL_VERSION; type: 'peer-claim'; id: number }

type Body<M> = M extends unknown ? Omit<M, 'protocol' | 'v'> : never

export interface PeerChannel {
  token(token: string): void
  logout(): void
  /** Says this tab's provider call started or ended. */
  refreshing(on: boolean): void
  /**
   * If another tab said its provider call started and has not said it ended, waits up to
   * `ms` for that; true if one was under way.
   */
  settled(ms: number): Promise<boolean>
  /**
   * Without Web Locks (an insecure origin has none): whether this tab is the one to call the
   * provider now. It says so, listens `ms` for the others that want to as well, and leads
   * unless one drew a lower number or is calling already.
   */
  elect(ms: number): Promise<boolean>
  /** Resolves when a calling tab says how its call ended, or after `ms`. */
  outcome(ms: number): Promise<void>
  close(): void
}

/**
 * The tabs of one app (`name` holds its scope) in in-page mode, over a BroadcastChannel:
 * same-origin only by the platform (HTML §9.5), and memory only. Without BroadcastChannel
 * each tab keeps its own session.
 */
export function peerChannel(name: string, on: { token: (token: string) => void; logout: () => void }): PeerChannel {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined
  let peerCalling = false
  let wake: (() => void) | undefined
  let ended: (() => void) | undefined
  /** The lowest number another tab drew during this tab's election, if one runs. */
  let rival: number | undefined
  const post = (message: Body<PeerMessage>) => channel?.postMessage({ protocol: PROTOCOL, v: PROTOCOL_VERSION, ...message })
  channel?.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as Partial<PeerMessage> | null
    if (typeof data !== 'object' || data === null || data.protocol !== PROTOCOL || data.v !== PROTOCOL_VERSION) return
    if (data.type === 'peer-token' && isBearerToken(data.token)) on.token(data.token)
    else if (data.type === 'peer-logout') on.logout()
    else if (data.type === 'peer-refreshing') peerCalling = data.on === true
    else if (data.type === 'peer-claim' && typeof data.id === 'number') {
      if (rival !== undefined) rival = Math.min(rival, data.id)
      return
    } else return
    if (!peerCalling) {
      wake?.()
      ended?.()
    }
  })
  return {
    token: (token) => post({ type: 'peer-token', token }),
    logout: () => post({ type: 'peer-logout' }),
    refreshing: (on) => post({ type: 'peer-refreshing', on }),
    async settled(ms) {
      if (!peerCalling) return false
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms)
        wake = () => (clearTimeout(timer), resolve())
      })
      wake = undefined
      return true
    },
    async elect(ms) {
      if (!channel) return true
      if (peerCalling) return false
      const id = Math.random()
      rival = Infinity
      post({ type: 'peer-claim', id })
      await new Promise((resolve) => setTimeout(resolve, ms))
      const lead = id < rival && !peerCalling
      rival = undefined
      return lead
    },
    async outcome(ms) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms)
        ended = () => (clearTimeout(timer), resolve())
      })
      ended = undefined
    },
    close: () => channel?.close(),
  }
}
