import { SwBearerError } from '../common/errors.js'
import type { Fallback, FallbackOptions } from './inPage/fallbackOptions.js'

export type { FallbackOptions }

/**
 * Loads and checks the in-page fallback. It is its own chunk in the app's build, fetched only
 * by apps that pass `fallback`, and at registration, from the same deploy as the page: so it
 * is there the moment the worker fails, and a typo in it throws at once.
 */
export async function loadFallback(fallback: FallbackOptions | undefined, scope: string): Promise<Fallback | undefined> {
  if (fallback === undefined) return undefined
  let module: typeof import('./inPage/fallbackOptions.js')
  try {
    module = await import('./inPage/fallbackOptions.js')
  } catch (cause) {
    throw new SwBearerError('unsupported', `The in-page fallback did not load: ${String(cause)}`, { cause })
  }
  return module.prepareFallback(fallback, scope)
}
