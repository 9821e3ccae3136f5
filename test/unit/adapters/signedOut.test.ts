import { describe, expect, it } from 'vitest'
import { isSignedOutError, oauthErrorCode } from '../../../adapters/signedOut.js'

describe('signedOut', () => {
  it("reads the OAuth code from `error`, else from Okta's `errorCode`", () => {
    expect(oauthErrorCode({ error: 'invalid_grant', errorCode: 'E0000011' })).toBe('invalid_grant')
    expect(oauthErrorCode({ errorCode: 'login_required' })).toBe('login_required')
    expect(oauthErrorCode({ error: null, errorCode: 'login_required' })).toBe('login_required')
  })

  it('finds no code on values that carry none', () => {
    for (const value of [undefined, null, 'login_required', new Error('login_required'), { error: 42 }]) {
      expect(oauthErrorCode(value)).toBeUndefined()
    }
  })

  it('knows the OIDC prompt=none and RFC 6749 refresh codes, and only them unless told more', () => {
    for (const code of ['login_required', 'interaction_required', 'consent_required', 'invalid_grant']) {
      expect(isSignedOutError({ error: code })).toBe(true)
    }
    for (const code of ['account_selection_required', 'server_error', 'mfa_required', 'missing_refresh_token']) {
      expect(isSignedOutError({ error: code })).toBe(false)
    }
    expect(isSignedOutError({ error: 'missing_refresh_token' }, ['missing_refresh_token'])).toBe(true)
  })
})
