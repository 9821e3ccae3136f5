import { launchCdp } from './drivers/cdp.js'
import { assertFirefox, launchFirefox } from './drivers/firefox.js'
import { assertChromium } from './drivers/flags.js'
import { launchPlaywright } from './drivers/playwright.js'

/**
 * Each engine the bench runs in: its drivers (the first is the default) and a check that
 * fails with one line saying how to install the browser.
 */
export const ENGINES = {
  chromium: { drivers: { cdp: launchCdp, playwright: launchPlaywright }, assertInstalled: assertChromium },
  firefox: { drivers: { bidi: () => launchFirefox(), puppeteer: () => launchFirefox({ networkEvents: true }) }, assertInstalled: assertFirefox },
}

/** The driver `launch` uses for `engine` when none is asked for. */
export const defaultDriver = (engine) => Object.keys(ENGINES[engine].drivers)[0]

/**
 * Launches headless `engine` through `driver`. Every driver gives the same small
 * surface: browser.newContext() → context.openTab(url) → tab.call(name, ...args), tab.close(),
 * context.stopWorkers(tab) (Chromium only), context.close(), browser.version(), browser.close().
 */
export function launch(engine = 'chromium', driver = defaultDriver(engine)) {
  const start = ENGINES[engine]?.drivers[driver]
  if (!start) throw new Error(`unknown driver "${driver}" for ${engine}: use ${Object.keys(ENGINES[engine]?.drivers ?? {}).join(' or ')}`)
  return start()
}
