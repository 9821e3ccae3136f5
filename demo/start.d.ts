// Types for start.js, which stays plain JavaScript so `npm run demo` needs no TS loader.
import type { ProviderCounters } from '../tools/openidProvider.js'

export interface ActivityEvent {
  seq: number
  at: number
  source: 'provider' | 'api'
  kind: 'login' | 'token' | 'refresh' | 'refused' | 'revoked' | 'injected' | 'unauthorized' | 'retry' | 'revoke' | 'error'
  text: string
}

export interface Counters {
  /** Requests to the provider's token endpoint, whatever their grant or outcome. */
  providerCalls: number
  /** refresh_token grants the provider answered with new tokens. */
  refreshGrants: number
  /** Token requests the provider refused with invalid_grant (a spent or revoked refresh token). */
  invalidGrants: number
  /** Requests to the API's routes, preflights not counted. */
  apiRequests: number
  /** Requests that arrived with a bearer token. */
  injected: number
  unauthorized: number
  /** Successful requests that repeated one which had just been answered 401. */
  retries: number
}

export interface ReceivedToken {
  route: string
  token: string
  ok: boolean
  at: number
}

export interface DemoOptions {
  /** 0 picks a free port. Default 4400. */
  pagePort?: number
  /** 0 picks a free port. Default 4401. */
  apiPort?: number
  /** 0 picks a free port. Default 4402. */
  providerPort?: number
  /** Access token lifetime in seconds. Default 60. */
  lifetimeSeconds?: number
  /** The API's resource indicator: the `aud` the provider sets and the API requires. Default 'https://api.jotter.test'. */
  audience?: string
  onEvent?: (event: ActivityEvent) => void
}

export interface Demo {
  /** The page: http://localhost:<port>/ */
  pageURL: string
  /** The API: http://127.0.0.1:<port> */
  apiURL: string
  /** The OpenID Provider's issuer: http://localhost:<port> */
  issuerURL: string
  jwksURL: string
  /** The page's client at the provider: a public client, code + PKCE. */
  clientId: string
  audience: string
  activity: { counters: Counters; since(seq?: number): { seq: number; events: ActivityEvent[]; counters: Counters } }
  /** What reached the provider, counted at its token endpoint. */
  provider: {
    /** A position in the provider's log, for `counters(since)`. */
    mark(): number
    counters(since?: number): ProviderCounters
  }
  /** Every bearer token the API received, newest last. */
  received: ReceivedToken[]
  close(): Promise<void>
}

export const DEFAULTS: Required<Omit<DemoOptions, 'onEvent'>>

export function startDemo(options?: DemoOptions): Promise<Demo>
