import { expect, it, type TestFunction } from 'vitest'
import { CAPABILITIES, GAP_REASONS, Unsupported, type Capabilities, type EngineName } from './engines/index.js'
import type { Lab } from './lab.js'

/** The mark a gap's test name carries; the engine summary counts tests by it. */
export const GAP_MARK = '[gap:'

type Need = Exclude<keyof Capabilities, 'stuckHostHolds'>

/** Calls the driver for a capability, on a fresh tab: resolves where it works, throws Unsupported where not. */
const TRY: Record<Need, (lab: Lab) => Promise<unknown>> = {
  stopWorkersInPlace: async (lab) => lab.engine.stopWorkers(await lab.signedInTab(await lab.context())),
  hardReload: async (lab) => lab.engine.hardReload(await lab.tab(await lab.context())),
  clearSiteData: async (lab) => lab.engine.clearSiteData(await lab.tab(await lab.context()), lab.pageOrigin, 'indexeddb'),
}

/**
 * A test that needs what some engine's driver cannot do (see Capabilities). Where the engine
 * has it, an ordinary test. Where not, a test named after the gap that checks the driver
 * refuses with Unsupported (so the day someone teaches the driver, this fails and the test
 * comes back). The engine summary lists it as a gap: a behaviour left unproven in an engine
 * is never dropped silently, nor skipped.
 */
export function itNeeds(lab: Lab, engine: EngineName, needs: Need | Need[], name: string, fn: TestFunction, timeout?: number): void {
  const missing = [needs].flat().find((need) => !CAPABILITIES[engine][need])
  if (missing === undefined) it(name, fn, timeout)
  else
    it(`${name} ${GAP_MARK} ${engine}: ${GAP_REASONS[engine][missing]}]`, async () => {
      await expect(TRY[missing](lab)).rejects.toThrow(Unsupported)
    })
}
