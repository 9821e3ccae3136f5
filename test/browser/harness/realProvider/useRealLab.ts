import { afterAll, afterEach, beforeAll } from 'vitest'
import { launchEngine, type Engine, type EngineName } from '../engines/index.js'
import { buildPages, type BuiltPages } from './buildPages.js'
import type { Sdk } from './pageServer.js'
import { RealLab, type LabOptions } from './realLab.js'

/**
 * The SDK pages, built once for the test file (a bundle per SDK takes seconds); call at the top
 * level. Returns a getter, since the build has not run yet when the file's tests are declared.
 */
export function useBuiltPages(): () => BuiltPages {
  let built: BuiltPages | undefined
  beforeAll(async () => {
    built = await buildPages()
  }, 120_000)
  afterAll(() => built?.remove())
  return () => built!
}

/**
 * One engine for a describe block, and a fresh RealLab per test: `start` makes the test's lab,
 * closed after it whatever its outcome; the browser is closed after the block.
 */
export function useRealLab(engine: EngineName, pages: () => BuiltPages): (sdk: Sdk, ttl: number, options?: LabOptions) => Promise<RealLab> {
  let browser: Engine | undefined
  let lab: RealLab | undefined

  beforeAll(async () => {
    browser = await launchEngine(engine)
  }, 120_000)

  afterEach(async () => {
    await lab?.close()
    lab = undefined
  })

  afterAll(() => browser?.close())

  return async (sdk, ttl, options = {}) => {
    lab = await RealLab.start(sdk, pages(), browser!, ttl, options)
    return lab
  }
}
