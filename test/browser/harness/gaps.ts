import { it, type TestFunction } from 'vitest'
import { CAPABILITIES, GAP_REASONS, type Capabilities, type EngineName } from './engines/index.js'

/** The mark a gap's test name carries; the engine summary counts tests by it. */
export const GAP_MARK = '[gap:'

/**
 * A test that needs what some engine's driver cannot do (see Capabilities). Where the engine
 * has it, an ordinary test; where not, a skipped one whose name says why, which the engine
 * summary lists as a gap: a behaviour left unproven in an engine is never dropped silently.
 */
type Need = Exclude<keyof Capabilities, 'askPastStuckTab'>

export function itNeeds(engine: EngineName, needs: Need | Need[], name: string, fn: TestFunction, timeout?: number): void {
  const missing = [needs].flat().find((need) => !CAPABILITIES[engine][need])
  if (missing === undefined) it(name, fn, timeout)
  else it.skip(`${name} ${GAP_MARK} ${engine}: ${GAP_REASONS[engine][missing]}]`, fn, timeout)
}
