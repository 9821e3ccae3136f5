import type { AuthRoute } from '../../common/authTraffic.js'
import type { Decision, Verdict } from '../../common/decision.js'
import { SwBearerError } from '../../common/errors.js'
import type { PageMessage, SessionState } from '../../common/protocol.js'
import type { Reply } from '../postToWorker.js'
import type { GetAccessTokenContext } from '../TokenSession.js'
import { InPageTokens, type Renew } from './InPageTokens.js'
import { patchFetch } from './patchFetch.js'
import { patchXhr } from './patchXhr.js'
import { inPagePolicy } from './policy.js'

export interface InPageModeOptions {
  origins: ReadonlySet<string>
  authRoutes: readonly AuthRoute[]
  scope: string
  callProvider: (context: GetAccessTokenContext, timeoutMs: number) => Promise<string | null>
  onState: (state: SessionState) => void
  onError: (error: SwBearerError) => void
  report: (decision: Decision) => void
  renew: () => Renew | undefined
}

/** The session run by this page: the worker's protocol, answered here. */
export interface InPageMode {
  post(message: PageMessage): Promise<Reply>
  /** The token this tab holds, to hand to a worker that takes over. */
  token(): string | null
  /** Hands the page back to the browser: fetch and XMLHttpRequest as they were. */
  stop(): void
}

/** The one in-page mode of this tab: a second registration (React StrictMode) replaces it, never stacks on it. */
let current: InPageMode | undefined

/** Patches fetch and XMLHttpRequest for the listed origins and answers the session's messages. */
export function startInPage(options: InPageModeOptions): InPageMode {
  const { scope, callProvider, onState, onError, renew } = options
  const tokens = new InPageTokens({ scope, callProvider, onState, onError, renew })
  current?.stop()
  const policy = inPagePolicy(tokens, options.origins, options.authRoutes, options.report)
  const undo = [patchFetch(policy), patchXhr(policy)]
  const verdict = (href: string): Verdict => {
    try {
      return policy.verdict(new URL(href), 'cors', false)
    } catch {
      throw new SwBearerError('invalid-options', `inspect: "${href}" is not a URL`)
    }
  }

  const mode: InPageMode = {
    token: () => tokens.token,
    async post(message) {
      switch (message.type) {
        case 'hello':
          return { state: tokens.snapshot('load') }
        case 'start': {
          const outcome = await tokens.run({ reason: 'startup', forceRefresh: tokens.token !== null && tokens.due() })
          return { state: tokens.snapshot(outcome === 'logged-out' ? 'logout' : 'load') }
        }
        case 'set-token':
          return { state: await tokens.set(message.token, message.token === null ? 'logout' : 'set') }
        case 'logout':
          return { state: await tokens.set(null, 'logout') }
        case 'refresh': {
          // The page keeps the default token only: never hand it out as a resource's.
          if (message.resource !== undefined) throw new SwBearerError('invalid-options', 'refresh: in-page mode holds no resource tokens, only the default one')
          const outcome = await tokens.run({ reason: 'manual', forceRefresh: true })
          if (outcome === 'failed') throw new SwBearerError('provider-failed', 'Refresh failed; token kept')
          return { state: tokens.snapshot(outcome === 'logged-out' ? 'logout' : 'refresh'), token: tokens.token }
        }
        case 'ensure-fresh':
          if (tokens.due()) await tokens.run({ reason: 'visible', forceRefresh: true })
          return { state: tokens.snapshot('load') }
        case 'inspect':
          return { state: tokens.snapshot('load'), verdict: verdict(message.url) }
        case 'renew': // only ever sent to a worker
          return { state: tokens.snapshot('load'), token: tokens.token }
      }
    },
    stop() {
      policy.stop()
      for (const restore of undo) restore()
      tokens.close()
      if (current === mode) current = undefined
    },
  }
  current = mode
  return mode
}
