import { SwBearerError } from '../common/errors.js'
import { DEV } from './dev.js'

const invalid = (why: string) => new SwBearerError('invalid-options', why || 'invalid apiOrigins')

/**
 * Turns the configured list into exact origins. Anything that is not a bare
 * http(s) origin is refused at install time: a path, query or userinfo in the
 * list would suggest a prefix match that this library never does.
 */
export function parseOrigins(list: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid(DEV ? 'installTokenInjection: apiOrigins must be a non-empty array of origins' : '')
  }
  const origins = new Set<string>()
  for (const entry of list) {
    if (typeof entry !== 'string') throw invalid(DEV ? 'installTokenInjection: every api origin must be a string' : '')
    let url: URL
    try {
      url = new URL(entry)
    } catch {
      throw invalid(DEV ? `installTokenInjection: "${entry}" is not a URL` : '')
    }
    const isHttp = url.protocol === 'https:' || url.protocol === 'http:'
    const isBare = url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password
    if (!isHttp || !isBare || /[?#]/.test(entry)) {
      throw invalid(DEV ? `installTokenInjection: "${entry}" is not a bare origin like "https://api.example.com"` : '')
    }
    origins.add(url.origin)
  }
  return origins
}
