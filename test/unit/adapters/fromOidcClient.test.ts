import { ErrorResponse, ErrorTimeout, InMemoryWebStorage, User, UserManager, WebStorageStateStore } from 'oidc-client-ts'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fromOidcClient } from '../../../adapters/index.js'
import { forced, unforced } from './contexts.js'

/** Behaves like a UserManager: getUser serves the stored user, signinSilent stores a new one. */
function fakeUserManager(stored: { access_token: string; expired?: boolean | undefined } | null) {
  let user = stored
  let renewals = 0
  const manager = {
    failure: undefined as unknown,
    getUser: vi.fn(async () => user),
    signinSilent: vi.fn(async () => {
      if (manager.failure) throw manager.failure
      user = { access_token: `renewed-${++renewals}`, expired: false }
      return user
    }),
  }
  return manager
}

describe('fromOidcClient', () => {
  it('hands back the stored token while it is valid, without asking the OP', async () => {
    const manager = fakeUserManager({ access_token: 'cached', expired: false })
    expect(await fromOidcClient(manager)(unforced)).toBe('cached')
    expect(manager.signinSilent).not.toHaveBeenCalled()
  })

  it('renews through signinSilent when forced, though the stored token has not expired', async () => {
    const manager = fakeUserManager({ access_token: 'cached', expired: false })
    expect(await fromOidcClient(manager)(forced)).toBe('renewed-1')
  })

  it('renews an expired stored token even when not forced', async () => {
    const manager = fakeUserManager({ access_token: 'cached', expired: true })
    expect(await fromOidcClient(manager)(unforced)).toBe('renewed-1')
  })

  it('serves a token of unknown expiry until forced', async () => {
    const manager = fakeUserManager({ access_token: 'cached', expired: undefined })
    expect(await fromOidcClient(manager)(unforced)).toBe('cached')
  })

  it('reads no stored user as signed out, forced or not, without asking the OP', async () => {
    const manager = fakeUserManager(null)
    expect(await fromOidcClient(manager)(unforced)).toBeNull()
    expect(await fromOidcClient(manager)(forced)).toBeNull()
    expect(manager.signinSilent).not.toHaveBeenCalled()
  })

  it.each(['login_required', 'interaction_required', 'consent_required', 'invalid_grant'])(
    'reads a renewal refused with %s as signed out',
    async (error) => {
      const manager = fakeUserManager({ access_token: 'cached', expired: false })
      manager.failure = new ErrorResponse({ error })
      expect(await fromOidcClient(manager)(forced)).toBeNull()
    },
  )

  it.each([
    ['a silent-renew timeout', new ErrorTimeout('IFrame timed out without a response')],
    ['server_error', new ErrorResponse({ error: 'server_error' })],
    ['a network failure', new TypeError('Failed to fetch')],
  ])('rethrows %s, so sw-bearer keeps the token and backs off', async (_, failure) => {
    const manager = fakeUserManager({ access_token: 'cached', expired: false })
    manager.failure = failure
    await expect(fromOidcClient(manager)(forced)).rejects.toBe(failure)
  })

  it('reads a renewal that brings no user as signed out', async () => {
    const manager = fakeUserManager({ access_token: 'cached', expired: true })
    manager.signinSilent.mockResolvedValueOnce(null as never)
    expect(await fromOidcClient(manager)(unforced)).toBeNull()
  })
})

describe('fromOidcClient with a real oidc-client-ts UserManager', () => {
  afterEach(() => vi.unstubAllGlobals())

  const authority = 'https://op.test'
  async function managerWith(user: { expiresIn: number; refreshToken?: string }) {
    const manager = new UserManager({
      authority,
      client_id: 'app',
      redirect_uri: 'https://app.test/callback',
      automaticSilentRenew: false,
      metadata: { issuer: authority, token_endpoint: `${authority}/token`, authorization_endpoint: `${authority}/auth` },
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    })
    const stored = new User({
      access_token: 'stored',
      token_type: 'Bearer',
      profile: { sub: 'u1', iss: authority, aud: 'app', exp: 0, iat: 0 },
      expires_at: Math.floor(Date.now() / 1000) + user.expiresIn,
      ...(user.refreshToken ? { refresh_token: user.refreshToken } : {}),
    })
    await manager.storeUser(stored)
    return manager
  }
  const tokenEndpoint = (status: number, body: object) =>
    vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }))

  it('serves the stored user until it expires, then uses its refresh token', async () => {
    const fetch = tokenEndpoint(200, { access_token: 'refreshed', token_type: 'Bearer', expires_in: 3600 })
    vi.stubGlobal('fetch', fetch)
    expect(await fromOidcClient(await managerWith({ expiresIn: 3600, refreshToken: 'rt' }))(unforced)).toBe('stored')
    expect(fetch).not.toHaveBeenCalled()
    expect(await fromOidcClient(await managerWith({ expiresIn: -10, refreshToken: 'rt' }))(unforced)).toBe('refreshed')
    expect(fetch).toHaveBeenCalledOnce()
  })

  it('reads the token endpoint refusing the refresh token (invalid_grant) as signed out', async () => {
    vi.stubGlobal('fetch', tokenEndpoint(400, { error: 'invalid_grant', error_description: 'refresh token revoked' }))
    expect(await fromOidcClient(await managerWith({ expiresIn: 3600, refreshToken: 'rt' }))(forced)).toBeNull()
  })

  it('rethrows the token endpoint failing for another reason', async () => {
    vi.stubGlobal('fetch', tokenEndpoint(503, { error: 'temporarily_unavailable', error_description: 'down' }))
    await expect(fromOidcClient(await managerWith({ expiresIn: 3600, refreshToken: 'rt' }))(forced)).rejects.toMatchObject({
      error: 'temporarily_unavailable',
    })
  })
})
