import { SwBearerError } from '../common/errors.js'
import { ambiguousOrigin, describeEntry, parseApiOrigin, type ApiOrigin } from '../common/origins.js'
import { DEV } from './dev.js'

const invalid = (why: string) => new SwBearerError('invalid-options', why || 'invalid apiOrigins')

/** The configured origins, and for each the resource whose token it gets (undefined: the default token). */
export interface ApiOriginMap {
  origins: ReadonlySet<string>
  resourceOf: ReadonlyMap<string, string | undefined>
}

/**
 * Turns the configured list into exact origins. Anything that is not a bare http(s) origin,
 * or `{ origin, resource }` with one, is refused at install time (see parseApiOrigin), and so
 * is an origin listed twice with different resources: which token it gets must be unambiguous.
 */
export function parseOrigins(list: readonly ApiOrigin[]): ApiOriginMap {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid(DEV ? 'installTokenInjection: apiOrigins must be a non-empty array of origins' : '')
  }
  const entries = list.map((entry) => {
    const parsed = parseApiOrigin(entry)
    if (parsed === null) {
      throw invalid(DEV ? `installTokenInjection: ${describeEntry(entry)} is neither a bare origin like "https://api.example.com" nor { origin, resource }` : '')
    }
    return parsed
  })
  const ambiguous = ambiguousOrigin(entries)
  if (ambiguous !== undefined) throw invalid(DEV ? `installTokenInjection: ${ambiguous} is listed with two different resources` : '')
  const resourceOf = new Map(entries.map(({ origin, resource }) => [origin, resource]))
  return { origins: new Set(resourceOf.keys()), resourceOf }
}
