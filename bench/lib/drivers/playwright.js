import { benchCall } from './benchCall.js'
import { assertChromium, CHROMIUM, FLAGS } from './flags.js'

/**
 * The same browser through playwright-core (`--driver=playwright`). Playwright
 * enables DevTools network tracking on every page and, unless told otherwise,
 * every worker: each request then sends several events to Node. Useful to see
 * that overhead; the default driver avoids it.
 */
export async function launchPlaywright() {
  assertChromium()
  process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK ??= '1'
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
  return {
    version: () => browser.version(),
    async newContext() {
      return new PlaywrightContext(await browser.newContext())
    },
    close: () => browser.close(),
  }
}

class PlaywrightContext {
  constructor(context) {
    this.context = context
  }

  async openTab(url) {
    const page = await this.context.newPage()
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
    // A page that navigates on its own at once (a sign-in redirect) interrupts goto; the wait
    // below follows it to the page that defines `bench`, or times out saying so.
    await page.goto(url).catch(() => {})
    await page.waitForFunction(() => 'bench' in window)
    return { page, call: (name, ...args) => page.evaluate(benchCall(name, args)), close: () => page.close() }
  }

  async stopWorkers(tab) {
    const cdp = await this.context.newCDPSession(tab.page)
    try {
      const versions = new Map()
      const stopped = new Promise((resolve) =>
        cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: updated }) => {
          for (const v of updated) versions.set(v.versionId, v.runningStatus)
          if ([...versions.values()].every((status) => status === 'stopped')) resolve()
        }),
      )
      await cdp.send('ServiceWorker.enable')
      await cdp.send('ServiceWorker.stopAllWorkers')
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5000))])
    } finally {
      await cdp.detach().catch(() => {})
    }
  }

  close() {
    return this.context.close()
  }
}
