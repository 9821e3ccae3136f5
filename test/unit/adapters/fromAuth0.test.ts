import { Auth0Client, GenericError, MfaRequiredError, MissingRefreshTokenError, TimeoutError } from '@auth0/auth0-spa-js'
import { describe, expect, it, vi } from 'vitest'
import { fromAuth0 } from '../../../adapters/index.js'
import { forced, unforced } from './contexts.js'

/** Behaves like getTokenSilently: the cache answers unless cacheMode is 'off' or it has expired. */
function fakeAuth0({ cacheExpired = false } = {}) {
  let cached = 'cached'
  let issued = 0
  const client = {
    failure: undefined as unknown,
    getTokenSilently: vi.fn(async (options: { cacheMode: 'on' | 'off' }): Promise<string | undefined> => {
      if (options.cacheMode !== 'off' && !cacheExpired) return cached
      if (client.failure) throw client.failure
      cacheExpired = false
      return (cached = `fresh-${++issued}`)
    }),
  }
  return client
}

describe('fromAuth0', () => {
  it("takes the SDK's cached token when not forced", async () => {
    const client = fakeAuth0()
    expect(await fromAuth0(client)(unforced)).toBe('cached')
    expect(client.getTokenSilently).toHaveBeenCalledWith({ cacheMode: 'on' })
  })

  it('skips the cache when forced', async () => {
    const client = fakeAuth0()
    expect(await fromAuth0(client)(forced)).toBe('fresh-1')
  })

  it('lets the SDK renew an expired cache when not forced', async () => {
    const client = fakeAuth0({ cacheExpired: true })
    expect(await fromAuth0(client)(unforced)).toBe('fresh-1')
  })

  it('passes the audience and other options on with every call', async () => {
    const client = fakeAuth0()
    const authorizationParams = { audience: 'https://api.example.com', scope: 'read:notes' }
    await fromAuth0(client, { authorizationParams, timeoutInSeconds: 5 })(forced)
    expect(client.getTokenSilently).toHaveBeenCalledWith({ authorizationParams, timeoutInSeconds: 5, cacheMode: 'off' })
  })

  it('never lets an option turn a forced call back into a cache read', async () => {
    const client = fakeAuth0()
    expect(await fromAuth0(client, { cacheMode: 'on' } as never)(forced)).toBe('fresh-1')
  })

  it.each([
    ['login_required', new GenericError('login_required', 'Login required')],
    ['consent_required', new GenericError('consent_required', 'Consent required')],
    ['interaction_required', new GenericError('interaction_required', 'Interaction required')],
    ['invalid_grant', new GenericError('invalid_grant', 'Unknown or invalid refresh token.')],
    ['missing_refresh_token', new MissingRefreshTokenError('https://api.example.com', 'openid offline_access')],
  ])('reads %s as signed out', async (_, failure) => {
    const client = fakeAuth0()
    client.failure = failure
    expect(await fromAuth0(client)(forced)).toBeNull()
  })

  it.each([
    ['mfa_required', new MfaRequiredError('mfa_required', 'Multifactor authentication required', 'mfa-token', {})],
    ['a timeout', new TimeoutError()],
    ['a network failure', new TypeError('Failed to fetch')],
  ])('rethrows %s, so the app can react to it', async (_, failure) => {
    const client = fakeAuth0()
    client.failure = failure
    await expect(fromAuth0(client)(forced)).rejects.toBe(failure)
  })

  it('reads an undefined result (the session ceiling reached) as signed out', async () => {
    const client = fakeAuth0()
    client.getTokenSilently.mockResolvedValueOnce(undefined)
    expect(await fromAuth0(client)(unforced)).toBeNull()
  })

  it('reads a real Auth0Client that holds no refresh token as signed out', async () => {
    const auth0 = new Auth0Client({ domain: 'tenant.auth0.test', clientId: 'app', useRefreshTokens: true, cacheLocation: 'localstorage' })
    expect(await fromAuth0(auth0)(forced)).toBeNull()
  })
})
