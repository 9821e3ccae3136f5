import { describe, expect, it, vi } from 'vitest'
import { fromAuth0, fromFirebase, fromOidcClient, fromOkta, fromPrivy } from '../../../adapters/index.js'
import type { GetAccessTokenContext } from '../../../src/index.js'

const BILLING = 'https://billing.example.com/'
const forBilling = (forceRefresh: boolean): GetAccessTokenContext => ({ reason: forceRefresh ? 'unauthorized' : 'startup', forceRefresh, resource: BILLING })

describe('adapters and resources (RFC 8707): each SDK is asked for the resource the way it takes one', () => {
  it('fromAuth0 asks for the resource as the audience, keeping the other authorization params, and the default as configured', async () => {
    const getTokenSilently = vi.fn(async (options: any) => `token for ${options.authorizationParams?.audience}`)
    const getter = fromAuth0({ getTokenSilently }, { authorizationParams: { audience: 'https://api.example.com', scope: 'read' } })
    expect(await getter(forBilling(false))).toBe(`token for ${BILLING}`)
    expect(getTokenSilently).toHaveBeenLastCalledWith({ authorizationParams: { audience: BILLING, scope: 'read' }, cacheMode: 'on' })
    expect(await getter({ reason: 'unauthorized', forceRefresh: true })).toBe('token for https://api.example.com')
    expect(getTokenSilently).toHaveBeenLastCalledWith({ authorizationParams: { audience: 'https://api.example.com', scope: 'read' }, cacheMode: 'off' })
  })

  it('fromOidcClient gets a resource token with signinSilent({ resource }) and leaves the default token stored for getUser', async () => {
    let stored: any = { access_token: 'api-1', expires_at: 100, scope: 'openid api:read', refresh_token: 'rt-1', expired: false }
    const manager = {
      getUser: vi.fn(async () => stored),
      // As oidc-client-ts does: the new user, the resource's token in it, is stored and returned.
      signinSilent: vi.fn(async (args?: { resource?: string }) => (stored = { access_token: `for ${args?.resource}`, expires_at: 200, scope: 'billing', refresh_token: 'rt-2', expired: false })),
      storeUser: vi.fn(async (user: any) => void (stored = user)),
    }
    const getter = fromOidcClient(manager)
    expect(await getter(forBilling(false))).toBe(`for ${BILLING}`)
    expect(manager.signinSilent).toHaveBeenCalledWith({ resource: BILLING })
    // The rotated refresh token is kept; the default token, its expiry and scope are back.
    expect(stored).toMatchObject({ access_token: 'api-1', expires_at: 100, scope: 'openid api:read', refresh_token: 'rt-2' })
    expect(await getter({ reason: 'startup', forceRefresh: false })).toBe('api-1')
  })

  it('fromOidcClient reads a resource refresh the OP refused as invalid_grant as signed out, and nobody signed in as null', async () => {
    const manager = {
      getUser: vi.fn(async () => ({ access_token: 'api-1' })),
      signinSilent: vi.fn(async () => Promise.reject(Object.assign(new Error('grant'), { error: 'invalid_grant' }))),
      storeUser: vi.fn(async () => {}),
    }
    expect(await fromOidcClient(manager)(forBilling(true))).toBeNull()
    manager.getUser.mockResolvedValue(null as never)
    expect(await fromOidcClient(manager)(forBilling(true))).toBeNull()
  })

  it('fromOkta asks the OktaAuth given for the resource, and refuses a resource it was not given one for', async () => {
    const client = (token: string) => ({
      tokenManager: { getTokensSync: () => ({ accessToken: { accessToken: token } }), hasExpired: () => false, renew: vi.fn() },
    })
    const getter = fromOkta(client('api'), { resources: { [BILLING]: client('billing') } })
    expect(await getter(forBilling(false))).toBe('billing')
    expect(await getter({ reason: 'startup', forceRefresh: false })).toBe('api')
    await expect(getter({ ...forBilling(false), resource: 'https://other.example.com/' })).rejects.toMatchObject({ code: 'invalid-options' })
  })

  it('adapters of SDKs with one token refuse a resource rather than hand over a token for another audience', async () => {
    const privy = vi.fn(async () => 'privy-token')
    await expect(fromPrivy(privy)(forBilling(false))).rejects.toMatchObject({ name: 'SwBearerError', code: 'invalid-options' })
    expect(privy).not.toHaveBeenCalled()
    const firebase = { currentUser: { getIdToken: vi.fn(async () => 'id') }, authStateReady: async () => {} }
    await expect(fromFirebase(firebase as never)(forBilling(false))).rejects.toMatchObject({ code: 'invalid-options' })
  })
})

describe('fromAuth0 and one audience without consent', () => {
  it("throws consent_required and missing_refresh_token for a resource (that audience's failure) but reads them as signed out for the default token", async () => {
    for (const code of ['consent_required', 'missing_refresh_token']) {
      const failure = Object.assign(new Error(code), { error: code })
      const getter = fromAuth0({ getTokenSilently: vi.fn(async () => Promise.reject(failure)) })
      await expect(getter(forBilling(true)), code).rejects.toBe(failure)
      expect(await getter({ reason: 'unauthorized', forceRefresh: true }), code).toBeNull()
    }
  })
})

describe('fromOidcClient and DPoP (RFC 9449)', () => {
  it('hands over a DPoP-bound token with the key oidc-client-ts keeps under client_id, and a Bearer one as a string', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const user = { access_token: 'bound', token_type: 'DPoP', expired: false }
    const manager = {
      getUser: vi.fn(async () => user),
      signinSilent: vi.fn(async () => user),
      settings: { client_id: 'spa', dpop: { store: { get: vi.fn(async (key: string) => (key === 'spa' ? { keys } : undefined)) } } },
    }
    expect(await fromOidcClient(manager)({ reason: 'startup', forceRefresh: false })).toEqual({ token: 'bound', type: 'DPoP', key: keys })
    user.token_type = 'Bearer'
    expect(await fromOidcClient(manager)({ reason: 'startup', forceRefresh: false })).toBe('bound')
  })

  it('refuses a DPoP-bound token whose key is not in the store rather than hand it over as Bearer', async () => {
    const user = { access_token: 'bound', token_type: 'DPoP', expired: false }
    const manager = { getUser: vi.fn(async () => user), signinSilent: vi.fn(async () => user), settings: { client_id: 'spa' } }
    await expect(fromOidcClient(manager)({ reason: 'startup', forceRefresh: false })).rejects.toThrow(/DPoP-bound/)
  })
})
