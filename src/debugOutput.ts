import type { Decision } from '../common/decision.js'
import { describeDecision } from '../common/describeDecision.js'
import { DEV } from './dev.js'

const warned = new Set<string>()

/**
 * Whether a decision is worth telling the app: everything with `debug` on, and a near miss
 * (a listed origin spelled differently) in development builds. Production stays silent.
 */
export const worthReporting = (decision: Decision, debug: boolean): boolean =>
  debug || (DEV && decision.kind === 'skipped' && decision.reason === 'near-miss')

/**
 * Prints one decision to the page's console: a near miss as a warning, once per URL origin
 * and path, the rest as debug lines. Decisions hold no token (see Decision).
 */
export function printDecision(decision: Decision): void {
  if (decision.kind === 'skipped' && decision.reason === 'near-miss') {
    if (warned.has(decision.url)) return
    warned.add(decision.url)
    console.warn(describeDecision(decision))
  } else console.debug(describeDecision(decision))
}
