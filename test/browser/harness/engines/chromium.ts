import type { BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../browser.js'
import { CAPABILITIES, type Engine, type LaunchOptions } from './engine.js'

/** Debian's Chromium through playwright-core: its contexts and pages are the neutral ones as they are. */
export async function chromiumEngine(options: LaunchOptions = {}): Promise<Engine<BrowserContext>> {
  const browser = await launchChromium(options)
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    can: CAPABILITIES.chromium,
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
    async clearSiteData(page: Page, origin: string, what: 'indexeddb' | 'all') {
      // What DevTools' "Clear storage" does.
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: what })
      await cdp.detach()
    },
    async hardReload(page: Page) {
      const cdp = await page.context().newCDPSession(page)
      await cdp.send('Page.reload', { ignoreCache: true })
      await cdp.detach()
    },
    close: () => browser.close(),
  }
}
