import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../browser.js'
import type { Engine, LaunchOptions } from './engine.js'

/** Debian's Chromium through playwright-core: its contexts and pages are the neutral ones as they are. */
export async function chromiumEngine(options: LaunchOptions = {}): Promise<Engine<BrowserContext>> {
  const browser = await launchChromium(options)
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    can: { stopWorkersInPlace: true, concurrentTabs: true },
    async newContext() {
      const context = await browser.newContext()
      if (process.env.LAB_DEBUG) {
        context.on('console', (m) => console.log(`[page] ${m.text()}`))
        context.on('weberror', (e) => console.log(`[pageerror] ${e.error().message}`))
      }
      return context
    },
    async stopWorkers(page: Page) {
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('ServiceWorker.enable')
      await cdp.send('ServiceWorker.stopAllWorkers')
      await cdp.detach()
    },
    close: () => browser.close(),
  }
}
