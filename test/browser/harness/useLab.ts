import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { EngineName } from './engines/index.js'
import { Lab } from './lab.js'

/**
 * One lab per test file, reset before each test. Returns a stand-in usable at
 * module level, before beforeAll has started the real one.
 */
export function useLab(options: { bfcache?: boolean; engine: EngineName }): Lab {
  let lab: Lab | undefined
  beforeAll(async () => {
    lab = await Lab.start(options)
  })
  afterAll(() => lab?.close())
  beforeEach(() => lab!.reset())
  return new Proxy({} as Lab, {
    get(_, key) {
      const value = Reflect.get(lab!, key, lab)
      return typeof value === 'function' ? value.bind(lab) : value
    },
    set(_, key, value) {
      return Reflect.set(lab!, key, value, lab)
    },
  })
}
