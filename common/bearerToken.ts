import { SwBearerError } from './errors.js'

/**
 * Servers commonly cap a header line at 8–16 KiB and Chromium refuses very large
 * request headers outright; a token past this size would only ever earn a 431.
 */
export const MAX_TOKEN_LENGTH = 16 * 1024

// Visible ASCII only: a header value may also hold spaces, tabs and obs-text, but
// none of those can appear in a bearer token, and CR/LF/NUL would split the header.
const TOKEN_CHARS = /^[\x21-\x7e]+$/

export function isBearerToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_LENGTH && TOKEN_CHARS.test(value)
}

/** Throws `invalid-token` without ever putting the token itself in the message. */
export function assertBearerToken(value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw new SwBearerError('invalid-token', `Token is a ${typeof value}, not a string`)
  }
  if (!value) throw new SwBearerError('invalid-token', 'Token is empty')
  if (value.length > MAX_TOKEN_LENGTH) throw new SwBearerError('invalid-token', `Token is over ${MAX_TOKEN_LENGTH} characters`)
  if (!TOKEN_CHARS.test(value)) throw new SwBearerError('invalid-token', 'Token holds characters other than visible ASCII')
}
