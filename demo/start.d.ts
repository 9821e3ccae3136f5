// Types for start.js, which stays plain JavaScript so `npm run demo` needs no TS loader.

export interface ActivityEvent {
  seq: number
  at: number
  source: 'issuer' | 'api'
  kind: 'login' | 'token' | 'signed-out' | 'injected' | 'unauthorized' | 'retry' | 'revoke' | 'logout'
  text: string
}

export interface Counters {
  /** Calls to the token endpoint, i.e. getAccessToken runs, signed in or not. */
  providerCalls: number
  tokensMinted: number
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
  /** Access token lifetime. Default 60. */
  lifetimeSeconds?: number
  /** Default 'jwt'. */
  tokenFormat?: 'jwt' | 'opaque'
  /** The `aud` the issuer sets and the API requires. Default 'jotter-api'. */
  audience?: string
  onEvent?: (event: ActivityEvent) => void
}

export interface Demo {
  /** The page and the issuer: http://localhost:<port>/ */
  pageURL: string
  /** The API: http://127.0.0.1:<port> */
  apiURL: string
  issuerURL: string
  jwksURL: string
  audience: string
  activity: { counters: Counters; since(seq?: number): { seq: number; events: ActivityEvent[]; counters: Counters } }
  /** Every bearer token the API received, newest last. */
  received: ReceivedToken[]
  close(): Promise<void>
}

export const DEFAULTS: Required<Omit<DemoOptions, 'onEvent'>>

export function startDemo(options?: DemoOptions): Promise<Demo>
