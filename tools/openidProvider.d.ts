export declare const CLIENT_ID: string

export interface OpenIdProviderOptions {
  /** 0 (default): a free port. */
  port?: number
  /** Origins allowed to call the token endpoint from a page (CORS). */
  pageOrigins: string[]
  redirectUris: string[]
  postLogoutRedirectUris?: string[]
  /** The API's resource indicator: every access token is an ES256 JWT for it. */
  audience?: string
  /**
   * Instead of `audience`, several APIs' resource indicators (RFC 8707): the first is the default,
   * for requests that name none; a request naming another gets an access token for that one.
   */
  audiences?: string[]
  /** Seconds; changeable later through `accessTokenTtl`. */
  accessTokenTtl: number
  /** The issuer ends in '/', as auth0-spa-js requires. */
  issuerSlash?: boolean
  /** 'auto' (default): signed in as login_hint at once. 'form': a login page asks for a name. */
  login?: 'auto' | 'form'
  /**
   * DPoP (RFC 9449) at the token endpoint; off by default. `true` is `{ nonce: true, required: true }`.
   * Off, oidc-provider still honours a proof that is sent (its default), but asks for none and has no nonces.
   */
  dpop?: boolean | DpopProviderOptions
}

export interface DpopProviderOptions {
  /** Every proof must carry the provider's nonce: a new key's first token request is answered `use_dpop_nonce` (default true). */
  nonce?: boolean
  /** The client is `dpop_bound_access_tokens`: a token request without a proof fails (default true). */
  required?: boolean
}

export interface ProviderLogEntry {
  at: number
  event: 'token-request' | 'token' | 'login' | 'grant-revoked' | 'server-error'
  grant?: string
  /** A token answer's resource: the one the request named, or the default. */
  resource?: string
  ok?: boolean
  error?: string
  detail?: string
  /** A token request that carried a `DPoP` proof header. */
  dpop?: boolean
  /** A successful token answer's token_type: 'DPoP' when the access token is bound. */
  tokenType?: string
}

export interface ProviderCounters {
  /** POSTs to the token endpoint, whatever their grant or outcome. */
  tokenRequests: number
  codeOk: number
  refreshOk: number
  /** Successful refresh_token grants by the resource each asked for (none asked: the default audience). */
  refreshesFor: Record<string, number>
  refreshErrors: string[]
  invalidGrant: number
  grantRevoked: number
  logins: number
  serverErrors: string[]
  /** Token requests that carried a DPoP proof. */
  dpopTokenRequests: number
  /** Successful token answers with token_type DPoP (a bound access token). */
  dpopTokens: number
  /** Token answers `use_dpop_nonce`: the proof lacked the provider's current nonce. */
  useDpopNonce: number
  /** Token answers `invalid_dpop_proof`. */
  invalidDpopProof: number
}

export interface OpenIdProvider {
  issuer: string
  origin: string
  log: ProviderLogEntry[]
  /** How long the token endpoint waits before it answers, in ms (default 0). */
  tokenDelayMs: number
  accessTokenTtl: number
  mark(): number
  counters(since?: number): ProviderCounters
  close(): Promise<void>
}

export declare function startOpenIdProvider(options: OpenIdProviderOptions): Promise<OpenIdProvider>
