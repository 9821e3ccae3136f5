import { AuthSdkError, OAuthError, OktaAuth } from '@okta/okta-auth-js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fromOkta } from '../../../adapters/index.js'
import { forced, unforced } from './contexts.js'

type Stored = { accessToken: string; expired: boolean }

/** Behaves like OktaAuth's token manager: serves what it stores, renew() stores a new token. */
function fakeOkta(stored: { access?: Stored; refresh?: boolean }, storageKey?: string) {
  let access = stored.access
  let renewals = 0
  const tokenManager = {
    failure: undefined as unknown,
    getTokensSync: () => ({ accessToken: access, refreshToken: stored.refresh ? { refreshToken: 'rt' } : undefined }),
    hasExpired: (token: Stored) => token.expired,
    renew: vi.fn(async (_key: string): Promise<unknown> => {
      if (tokenManager.failure) throw tokenManager.failure
      return (access = { accessToken: `renewed-${++renewals}`, expired: false })
    }),
    ...(storageKey ? { getStorageKeyByType: () => storageKey } : {}),
  }
  return { tokenManager }
}

const valid = { accessToken: 'cached', expired: false }

describe('fromOkta', () => {
  it('hands back the stored access token while the token manager calls it valid', async () => {
    const okta = fakeOkta({ access: valid })
    expect(await fromOkta(okta)(unforced)).toBe('cached')
    expect(okta.tokenManager.renew).not.toHaveBeenCalled()
  })

  it('renews through the token manager when forced, though the stored token is valid', async () => {
    const okta = fakeOkta({ access: valid, refresh: true })
    expect(await fromOkta(okta)(forced)).toBe('renewed-1')
    expect(okta.tokenManager.renew).toHaveBeenCalledWith('accessToken')
  })

  it('renews an expired access token when not forced', async () => {
    const okta = fakeOkta({ access: { accessToken: 'cached', expired: true } })
    expect(await fromOkta(okta)(unforced)).toBe('renewed-1')
  })

  it('renews from a refresh token alone, as the token manager does', async () => {
    const okta = fakeOkta({ refresh: true })
    expect(await fromOkta(okta)(unforced)).toBe('renewed-1')
  })

  it('renews the key the access token is stored under', async () => {
    const okta = fakeOkta({ access: valid }, 'okta-access')
    await fromOkta(okta)(forced)
    expect(okta.tokenManager.renew).toHaveBeenCalledWith('okta-access')
  })

  it('reads tokens a sign-out marked pendingRemove as signed out, without renewing', async () => {
    const okta = fakeOkta({})
    okta.tokenManager.getTokensSync = () =>
      ({ accessToken: { accessToken: 'cached', expired: false, pendingRemove: true }, refreshToken: { refreshToken: 'rt', pendingRemove: true } }) as never
    expect(await fromOkta(okta)(unforced)).toBeNull()
    expect(await fromOkta(okta)(forced)).toBeNull()
    expect(okta.tokenManager.renew).not.toHaveBeenCalled()
  })

  it('reads no stored token as signed out, forced or not, without renewing', async () => {
    const okta = fakeOkta({})
    expect(await fromOkta(okta)(unforced)).toBeNull()
    expect(await fromOkta(okta)(forced)).toBeNull()
    expect(okta.tokenManager.renew).not.toHaveBeenCalled()
  })

  it.each(['login_required', 'interaction_required', 'consent_required', 'invalid_grant'])(
    'reads a renewal refused with %s as signed out',
    async (code) => {
      const okta = fakeOkta({ access: valid })
      okta.tokenManager.failure = new OAuthError(code, 'refused')
      expect(await fromOkta(okta)(forced)).toBeNull()
    },
  )

  it.each([
    ['an AuthSdkError', new AuthSdkError('renewTokens: invalid tokens: could not read scopes')],
    ['server_error', new OAuthError('server_error', 'try later')],
    ['a network failure', new TypeError('Failed to fetch')],
  ])('rethrows %s, where getOrRenewAccessToken would have signed out', async (_, failure) => {
    const okta = fakeOkta({ access: valid })
    okta.tokenManager.failure = failure
    await expect(fromOkta(okta)(forced)).rejects.toBe(failure)
  })

  it('reads a renewal that brings no access token as signed out', async () => {
    const okta = fakeOkta({ access: valid })
    okta.tokenManager.renew.mockResolvedValueOnce(undefined)
    expect(await fromOkta(okta)(forced)).toBeNull()
  })
})

describe('fromOkta with a real OktaAuth', () => {
  afterEach(() => vi.unstubAllGlobals())

  const issuer = 'https://tenant.okta.test/oauth2/default'
  function signedIn() {
    const oktaAuth = new OktaAuth({ issuer, clientId: 'app', tokenManager: { storage: 'memory', autoRenew: false } })
    const expiresAt = Math.floor(Date.now() / 1000) + 3600
    const scopes = ['openid', 'offline_access']
    oktaAuth.tokenManager.setTokens({
      accessToken: { accessToken: 'stored', claims: { sub: 'u1' }, expiresAt, tokenType: 'Bearer', scopes, authorizeUrl: `${issuer}/v1/authorize`, userinfoUrl: `${issuer}/v1/userinfo` },
      refreshToken: { refreshToken: 'rt', expiresAt, scopes, tokenUrl: `${issuer}/v1/token`, authorizeUrl: `${issuer}/v1/authorize`, issuer },
    })
    return oktaAuth
  }
  const tokenEndpoint = (status: number, body: object) =>
    vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }))

  it('serves the stored token without a request', async () => {
    const fetch = tokenEndpoint(500, {})
    vi.stubGlobal('fetch', fetch)
    expect(await fromOkta(signedIn())(unforced)).toBe('stored')
    expect(fetch).not.toHaveBeenCalled()
  })

  it('reads a refresh token the authorization server refuses (invalid_grant) as signed out', async () => {
    const fetch = tokenEndpoint(400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or expired.' })
    vi.stubGlobal('fetch', fetch)
    expect(await fromOkta(signedIn())(forced)).toBeNull()
    expect(fetch).toHaveBeenCalled()
  })

  it('rethrows the token endpoint failing for another reason', async () => {
    vi.stubGlobal('fetch', tokenEndpoint(503, { error: 'temporarily_unavailable', error_description: 'down' }))
    await expect(fromOkta(signedIn())(forced)).rejects.toMatchObject({ errorCode: 'temporarily_unavailable' })
  })
})
