import { describe, expect, it } from 'vitest'
import { assertBearerToken, isBearerToken, MAX_TOKEN_LENGTH } from '../../common/bearerToken.js'
import { fromWire, isSwBearerError, SwBearerError } from '../../common/errors.js'

const code = (fn: () => void) => {
  try {
    fn()
  } catch (error) {
    return isSwBearerError(error) ? error.code : 'not-coded'
  }
  return 'accepted'
}

describe('bearer token validation', () => {
  it('accepts JWTs and opaque tokens', () => {
    expect(isBearerToken('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.sig-_')).toBe(true)
    expect(isBearerToken('opaque~token+/=')).toBe(true)
    expect(isBearerToken('x'.repeat(MAX_TOKEN_LENGTH))).toBe(true)
  })

  it('refuses what would break or smuggle a header, with invalid-token', () => {
    for (const bad of ['', 'a\r\nX: 1', 'a\nb', 'a\rb', 'a\u0000b', 'tök', 'a b', 'a\tb', '\u2028', 'x'.repeat(MAX_TOKEN_LENGTH + 1), 42, null]) {
      expect(code(() => assertBearerToken(bad)), JSON.stringify(bad)?.slice(0, 20)).toBe('invalid-token')
      expect(isBearerToken(bad)).toBe(false)
    }
  })

  it('never echoes the token in the error message', () => {
    try {
      assertBearerToken('secret-part\nsecond')
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-part')
    }
  })
})

describe('SwBearerError', () => {
  it('survives structured cloning as a recognisable coded error', () => {
    const wire = structuredClone(new SwBearerError('timeout', 'slow').toWire())
    const rebuilt = fromWire(wire)
    expect(rebuilt).toBeInstanceOf(SwBearerError)
    expect(isSwBearerError(rebuilt)).toBe(true)
    expect(isSwBearerError({ name: 'SwBearerError', code: 'timeout' })).toBe(true)
    expect(isSwBearerError(new Error('x'))).toBe(false)
  })
})
