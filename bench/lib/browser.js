import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

// Playwright records the network traffic of every service worker it sees, which
// puts DevTools instrumentation on exactly the fetches this bench times. Pages
// keep theirs (Playwright needs it), but the worker side need not pay.
process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK ??= '1'

/** Debian's Chromium, headless, kept off the network. */
export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Opens a tab on `url` and waits for the bench app to be there. */
export async function openTab(context, url) {
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  await page.goto(url)
  await page.waitForFunction(() => 'bench' in window)
  return page
}

/** Calls `window.bench[name](...args)` in the page; only the result crosses back. */
export function call(page, name, ...args) {
  return page.evaluate(([n, a]) => window.bench[n](...a), [name, args])
}

/**
 * Stops every service worker of the context, as the browser does to idle ones,
 * and resolves once they are reported stopped: module state is gone, storage kept.
 */
export async function stopWorkers(context, page) {
  const cdp = await context.newCDPSession(page)
  try {
    const running = new Map()
    let settle
    const allStopped = new Promise((resolve) => (settle = resolve))
    const check = () => [...running.values()].every((status) => status === 'stopped') && settle()
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      for (const v of versions) running.set(v.versionId, v.runningStatus)
      check()
    })
    await cdp.send('ServiceWorker.enable')
    await cdp.send('ServiceWorker.stopAllWorkers')
    await Promise.race([allStopped, new Promise((resolve) => setTimeout(resolve, 5000))])
  } finally {
    await cdp.detach().catch(() => {})
  }
}
