/// <reference lib="webworker" />
import { isBearerToken } from '../common/bearerToken.js'
import { SwBearerError } from '../common/errors.js'
import type { Verdict } from '../common/decision.js'
import { errorReply, okReply, parsePageMessage, type PageMessage, type WorkerReply } from '../common/protocol.js'
import { DEV } from './dev.js'
import type { Rooms } from './resources/Rooms.js'
import { boundByClaims } from '../common/dpopCredential.js'

declare const self: ServiceWorkerGlobalScope

export interface MessageContext {
  /** The default token's room and each resource's. */
  rooms: Rooms
  /** Whether a plain fetch of this URL from a tab would get the token. */
  verdict: (url: URL) => Verdict
}

/**
 * Answers one page message. Whatever does not parse is dropped without a reply:
 * the worker's state can only change through the few messages below, and none
 * of them can touch the origin list.
 */
export function handleMessage(event: ExtendableMessageEvent, context: MessageContext): void {
  const message = parsePageMessage(event.data)
  const source = event.source
  if (!message || !source || !('id' in source)) return
  for (const room of context.rooms.all) room.refresher.knowSession(source)
  const port = event.ports[0]
  event.waitUntil(
    answer(message, source.id, context).then(
      (reply) => port?.postMessage(reply),
      (error: unknown) => {
        // Same realm here, so instanceof holds.
        const wire = error instanceof SwBearerError ? error.toWire() : { code: 'provider-failed' as const, message: String(error) }
        port?.postMessage(errorReply(wire))
      },
    ),
  )
}

async function answer(message: PageMessage, clientId: string, { rooms, verdict }: MessageContext): Promise<WorkerReply> {
  const { state, refresher, expiry } = rooms.default
  await Promise.all(rooms.all.map((room) => room.state.load()))
  const snapshot = (cause: Parameters<Rooms['snapshot']>[0]) => rooms.snapshot(cause)
  switch (message.type) {
    case 'hello':
      // A hard reload leaves the page uncontrolled until the worker claims it.
      await self.clients.claim()
      return okReply(snapshot('load'))
    case 'set-token':
      // The page checked it with a full explanation; a message that skipped that gets a short one.
      if (message.token !== null && !isBearerToken(message.token)) throw new SwBearerError('invalid-token', 'invalid token')
      // setToken hands over Bearer tokens; a DPoP-bound one needs its key (RFC 9449 §7.2).
      if (message.token !== null && boundByClaims(message.token)) {
        throw new SwBearerError('invalid-token', DEV ? 'setToken: this token is DPoP-bound (cnf.jkt); return it from getAccessToken as { token, type: "DPoP", key }' : 'DPoP-bound token')
      }
      // A token in hand is news that signing in works: whatever failed before is over.
      if (message.token !== null) refresher.backoff.succeed()
      return okReply(snapshot(await state.set(message.token, message.token === null ? 'logout' : 'set', true)))
    case 'logout':
      return okReply(snapshot(await state.set(null, 'logout', true)))
    case 'refresh': {
      const room = rooms.forResource(message.resource)
      if (!room) throw new SwBearerError('invalid-options', DEV ? `refresh: the worker lists no resource "${message.resource}"` : 'unknown resource')
      // A resource's token belongs to a sign-in: with nobody signed in there is none to fetch.
      if (room !== rooms.default && state.token === null && state.known) return okReply(snapshot('logout'), null)
      const outcome = await room.refresher.run({ clientId, reason: 'manual', force: true })
      if (outcome === 'failed') throw new SwBearerError('provider-failed', DEV ? 'Refresh failed; token kept' : 'refresh failed')
      return okReply(snapshot(outcome === 'logged-out' ? 'logout' : 'refresh'), room.state.token)
    }
    case 'start': {
      // The SDK is the source of truth even when a token is held (another user may have
      // signed in, or nobody now), so ask it, through the single flight: tabs restored
      // together make one call. Only a held token that is due needs more than its cache.
      const forceRefresh = state.token !== null && expiry.due()
      const outcome = await refresher.run({ clientId, reason: 'startup', force: true, forceRefresh })
      // A failure keeps the held token; the tab whose getter failed has said why.
      return okReply(snapshot(outcome === 'logged-out' ? 'logout' : 'load'))
    }
    case 'ensure-fresh':
      // One after another: they share the refresh lock anyway, and the SDK's refresh token.
      for (const room of rooms.all) await room.expiry.check(clientId, 'visible')
      return okReply(snapshot('load'))
    case 'renew': {
      // Worth a provider call when this worker holds that very token, or none (it never started
      // a session: the tab asking runs one in the page); another token is the newer one already.
      if (message.token !== null && (message.token === state.token || state.token === null)) {
        const outcome = await refresher.run({ clientId, reason: message.reason })
        if (outcome === 'failed') throw new SwBearerError('provider-failed', DEV ? 'Refresh failed; token kept' : 'refresh failed')
      }
      // The tab asking sends its requests itself, as Bearer: a DPoP-bound token is no use to it.
      return okReply(snapshot('refresh'), state.dpop ? null : state.token)
    }
    case 'inspect': {
      let url: URL
      try {
        url = new URL(message.url)
      } catch {
        throw new SwBearerError('invalid-options', DEV ? `inspect: "${message.url}" is not an absolute URL` : 'invalid url')
      }
      return okReply(snapshot('load'), undefined, verdict(url))
    }
  }
}
