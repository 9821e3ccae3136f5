import { assertChromium } from '../../../../tools/chromium.js'
import { chromiumEngine } from './chromium.js'
import { ENGINE_NAMES, type Engine, type EngineName, type LaunchOptions } from './engine.js'
import { assertFirefox, firefoxEngine } from './firefox.js'
import { assertWebKit, webkitEngine } from './webkit.js'

export type { Capabilities, Context, Cookie, Engine, EngineName, Tab, TabOf } from './engine.js'
export { CAPABILITIES, GAP_REASONS, Unsupported } from './engine.js'

/**
 * The engines this run covers: all three, or those named in ENGINES (e.g. ENGINES=chromium,firefox)
 * when working on one.
 */
export const engines: EngineName[] = process.env.ENGINES
  ? process.env.ENGINES.split(',').map((name) => {
      if (!ENGINE_NAMES.includes(name as EngineName)) throw new Error(`ENGINES: unknown engine "${name}" (${ENGINE_NAMES.join(', ')})`)
      return name as EngineName
    })
  : [...ENGINE_NAMES]

/** Fails with one line saying how to install the engine. */
export function assertInstalled(name: EngineName): void {
  ;({ chromium: assertChromium, firefox: assertFirefox, webkit: assertWebKit })[name]()
}

export function launchEngine(name: EngineName, options: LaunchOptions = {}): Promise<Engine> {
  return name === 'chromium' ? chromiumEngine(options) : name === 'firefox' ? firefoxEngine() : webkitEngine()
}
