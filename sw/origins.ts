import { SwBearerError } from '../common/errors.js'
import { bareOrigin } from '../common/origins.js'
import { DEV } from './dev.js'

const invalid = (why: string) => new SwBearerError('invalid-options', why || 'invalid apiOrigins')

/**
 * Turns the configured list into exact origins. Anything that is not a bare
 * http(s) origin is refused at install time (see bareOrigin).
 */
export function parseOrigins(list: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid(DEV ? 'installTokenInjection: apiOrigins must be a non-empty array of origins' : '')
  }
  const origins = new Set<string>()
  for (const entry of list) {
    const origin = bareOrigin(entry)
    if (origin === null) throw invalid(DEV ? `installTokenInjection: "${String(entry)}" is not a bare origin like "https://api.example.com"` : '')
    origins.add(origin)
  }
  return origins
}
