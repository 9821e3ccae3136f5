import type { DpopCredential, GetAccessToken } from '../src/index.js'
import { isSignedOutError } from './signedOut.js'

/** The members of an oidc-client-ts 3.x `User` the adapter reads. */
export interface OidcUserLike {
  access_token: string
  /** `undefined` when the OP sent no `expires_in`: then only a 401 forces a renewal. */
  readonly expired?: boolean | undefined
  /** Seconds since the epoch; put back with the default token after a resource's refresh. */
  expires_at?: number | undefined
  scope?: string | undefined
  /** `DPoP` for a token bound to the manager's DPoP key (RFC 9449), `Bearer` otherwise. */
  token_type?: string | undefined
}

/** The members of an oidc-client-ts 3.x `UserManager` the adapter calls. */
export interface UserManagerLike {
  getUser(): Promise<OidcUserLike | null>
  /** `resource`: RFC 8707 §2, sent with the refresh token (oidc-client-ts 3.x). */
  signinSilent(args?: { resource?: string }): Promise<OidcUserLike | null>
  /** Needed only with resources: the stored user keeps the default token (see below). */
  storeUser?(user: OidcUserLike | null): Promise<void>
  /** Read for DPoP only: the key pair oidc-client-ts keeps under `client_id` in `dpop.store`. */
  readonly settings?: { client_id: string; dpop?: { store: { get(key: string): Promise<{ keys: CryptoKeyPair } | undefined> } } | undefined }
}

/**
 * A getter for an oidc-client-ts `UserManager`.
 *
 * - Not forced: the stored user's `access_token` while `expired` is false (`getUser()`).
 * - Forced, or the stored token expired: `signinSilent()`, which uses the refresh token when
 *   the user has one and a hidden iframe with `prompt=none` otherwise, and stores the new user.
 * - No stored user: `null`, without asking the OP (nobody signed in to this app).
 * - `signinSilent` failing with an `ErrorResponse` whose `error` is `login_required`,
 *   `interaction_required` or `consent_required` (OIDC Core §3.1.2.6: the OP session is
 *   gone) or `invalid_grant` (RFC 6749 §5.2: the refresh token is revoked or expired): `null`.
 *   Anything else (`ErrorTimeout`, network, `server_error`) is rethrown.
 *
 * A resource's token (the context's `resource`, from a `{ origin, resource }` entry of the
 * worker's `apiOrigins`) always comes from `signinSilent({ resource })`: the refresh token grant
 * with RFC 8707's `resource` parameter, asked once per sign-in and on a refresh, since the user
 * oidc-client-ts stores holds one access token, the default one. The stored user keeps it:
 * oidc-client-ts stores the resource's token in its place, and the adapter puts the default
 * access token, its expiry and scope back beside the new refresh token (`storeUser`). Sign in
 * with every resource granted (`resource: [api, billing]` in the settings) and ask the OP for the
 * default one when none is named (oidc-provider's `defaultResource`).
 *
 * DPoP (RFC 9449): with `dpop: { store }` in the settings (oidc-client-ts 3), tokens come back
 * with `token_type: 'DPoP'`; the adapter hands the worker `{ token, type: 'DPoP', key }`, the key
 * pair oidc-client-ts generated (non-extractable) and keeps in its store under `client_id`, so
 * the worker signs each API request's proof with the very key the token is bound to.
 *
 * Every tab must see the same user: oidc-client-ts keeps it in `sessionStorage` by default,
 * where a tab opened later finds none and would sign every tab out. Pass
 * `userStore: new WebStorageStateStore({ store: window.localStorage })`.
 *
 * @example
 * import { UserManager, WebStorageStateStore } from 'oidc-client-ts'
 * import { fromOidcClient } from 'sw-bearer/adapters'
 *
 * const userManager = new UserManager({ ...settings, userStore: new WebStorageStateStore({ store: localStorage }) })
 * await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: fromOidcClient(userManager) })
 */
export function fromOidcClient(userManager: UserManagerLike): GetAccessToken {
  return async ({ forceRefresh, resource }) => {
    const user = await userManager.getUser()
    if (!user) return null
    const token = resource !== undefined ? await forResource(userManager, user, resource) : !forceRefresh && user.expired !== true ? user.access_token : await renew(() => userManager.signinSilent())
    return token === null ? null : bound(userManager, token, (await userManager.getUser())?.token_type ?? user.token_type)
  }
}

/** The token as sw-bearer takes it: with its key when oidc-client-ts bound it (token_type DPoP). */
async function bound(userManager: UserManagerLike, token: string, tokenType: string | undefined): Promise<string | DpopCredential> {
  if (tokenType?.toLowerCase() !== 'dpop') return token
  const { settings } = userManager
  const keys = settings?.dpop && (await settings.dpop.store.get(settings.client_id))?.keys
  // Never send it as Bearer (RFC 9449 §7.2): the API would refuse it, and should.
  if (!keys) throw new TypeError('fromOidcClient: the token is DPoP-bound but no key is in settings.dpop.store')
  return { token, type: 'DPoP', key: keys }
}

async function renew(signinSilent: () => Promise<OidcUserLike | null>): Promise<string | null> {
  try {
    return (await signinSilent())?.access_token ?? null
  } catch (error) {
    if (isSignedOutError(error)) return null
    throw error
  }
}

/** A resource's token, leaving the default one where the app and the next unforced call read it. */
async function forResource(userManager: UserManagerLike, user: OidcUserLike, resource: string): Promise<string | null> {
  if (typeof userManager.storeUser !== 'function') throw new TypeError('fromOidcClient: a resource needs UserManager.storeUser (oidc-client-ts 3)')
  let token: string | undefined
  const renewed = await renew(async () => {
    const fresh = await userManager.signinSilent({ resource })
    if (!fresh) return null
    token = fresh.access_token
    // If this write fails (storage full), the resource's token stays stored as the default one
    // beside the rotated refresh token; the worker refuses it for the default (it is another
    // room's token) and the next 401 renews the default. The resource's token is good either way.
    Object.assign(fresh, { access_token: user.access_token, expires_at: user.expires_at, scope: user.scope })
    await userManager.storeUser!(fresh).catch(() => {})
    return fresh
  })
  return renewed === null ? null : (token ?? null)
}
