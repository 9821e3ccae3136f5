import { launchCdp } from './drivers/cdp.js'
import { launchPlaywright } from './drivers/playwright.js'

export const DRIVERS = { cdp: launchCdp, playwright: launchPlaywright }

/**
 * Launches headless Chromium through `driver`. Both drivers give the same small
 * surface: browser.newContext() → context.openTab(url) → tab.call(name, ...args), tab.close(),
 * context.stopWorkers(tab), context.close(), browser.version(), browser.close().
 */
export function launch(driver = 'cdp') {
  const start = DRIVERS[driver]
  if (!start) throw new Error(`unknown driver "${driver}": use ${Object.keys(DRIVERS).join(' or ')}`)
  return start()
}
