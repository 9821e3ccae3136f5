import { existsSync } from 'node:fs'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { CAPABILITIES, pollUntil, type Context, type Engine, type Tab } from './engine.js'

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

export function assertFirefox(): void {
  if (!existsSync(FIREFOX)) {
    throw new Error(`Firefox not found at ${FIREFOX}: run "sudo apt-get install -y firefox-esr" (or set FIREFOX_PATH)`)
  }
}

// Runs in Firefox's parent process with chrome privileges: ends every active service worker.
const TERMINATE_ALL_WORKERS = `(async () => {
  const manager = Cc['@mozilla.org/serviceworkers/manager;1'].getService(Ci.nsIServiceWorkerManager)
  const registrations = manager.getAllRegistrations()
  const ends = []
  for (let i = 0; i < registrations.length; i++) {
    const registration = registrations.queryElementAt(i, Ci.nsIServiceWorkerRegistrationInfo)
    if (registration.activeWorker) ends.push(registration.activeWorker.terminateWorker())
  }
  await Promise.all(ends)
  return ends.length
})()`

// Privileged too: clears an origin's IndexedDB (QuotaManager) or all its data (what "Clear cookies and
// site data" does), for the principal of a tab showing it.
const CLEAR_SITE_DATA = (origin: string, what: 'indexeddb' | 'all') => `(async () => {
  let principal
  for (const win of Services.wm.getEnumerator('navigator:browser')) {
    for (const browser of win.gBrowser.browsers) if (browser.currentURI?.prePath === ${JSON.stringify(origin)}) principal = browser.contentPrincipal
  }
  if (!principal) return 'no tab shows ${origin}'
  if (${JSON.stringify(what)} === 'indexeddb') {
    await new Promise((resolve) => (Services.qms.clearStoragesForClient(principal, 'idb').callback = resolve))
  } else {
    await new Promise((resolve) => Services.clearData.deleteDataFromPrincipal(principal, true, Ci.nsIClearDataService.CLEAR_ALL, resolve))
  }
  return 'cleared'
})()`

// Privileged too: Shift+Reload, as the browser's own command does it, of the tab whose title is `marker`.
const HARD_RELOAD = (marker: string) => `(() => {
  for (const win of Services.wm.getEnumerator('navigator:browser')) {
    for (const browser of win.gBrowser.browsers) {
      if (browser.contentTitle !== ${JSON.stringify(marker)}) continue
      browser.reloadWithFlags(Ci.nsIWebNavigation.LOAD_FLAGS_BYPASS_CACHE | Ci.nsIWebNavigation.LOAD_FLAGS_BYPASS_PROXY)
      return 'reloaded'
    }
  }
  return 'no tab titled ${marker}'
})()`

/** The raw WebDriver BiDi connection puppeteer holds (Firefox allows one BiDi session); not in its types. */
type Bidi = { send(method: string, params: object): Promise<{ result: any }> }

/** Debian's Firefox ESR, headless, through puppeteer-core over WebDriver BiDi (no geckodriver). */
export async function firefoxEngine(): Promise<Engine> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    // Lets a chrome-scoped BiDi context run privileged script: how a worker is stopped with its page open.
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: {
      // Every host name is loopback, so *.test lookalike hosts can be tested (Chromium: --host-resolver-rules).
      'network.dns.forceResolve': '127.0.0.1',
    },
  })
  const bidi = (browser as unknown as { connection: Bidi }).connection
  /** Runs `expression` in the browser's chrome window, with chrome privileges; its value, or the thrown error. */
  const privileged = async (expression: string): Promise<any> => {
    const tree = await bidi.send('browsingContext.getTree', { 'moz:scope': 'chrome' })
    const target = { context: tree.result.contexts[0].context }
    const { result } = await bidi.send('script.evaluate', { expression, target, awaitPromise: true })
    return result.result?.value ?? JSON.stringify(result.exceptionDetails?.text ?? result)
  }
  return {
    name: 'firefox',
    version: `Firefox ${(await browser.version()).replace(/^firefox\//, '')}`,
    can: CAPABILITIES.firefox,
    newContext: () => newContext(browser),
    async stopWorkers() {
      const value = await privileged(TERMINATE_ALL_WORKERS)
      if (!(value > 0)) throw new Error(`firefox: no service worker to stop (${value})`)
    },
    async clearSiteData(_tab, origin, what) {
      const value = await privileged(CLEAR_SITE_DATA(origin, what))
      if (value !== 'cleared') throw new Error(`firefox: site data not cleared (${value})`)
    },
    async hardReload(tab) {
      // BiDi's browsingContext.reload has no ignoreCache in Firefox ESR: find the tab by a title
      // only it has, and reload it the way Shift+Reload does.
      const marker = `hard-reload-${Math.random().toString(36).slice(2)}`
      await tab.evaluate((title) => void (document.title = title), marker)
      const value = await privileged(HARD_RELOAD(marker))
      if (value !== 'reloaded') throw new Error(`firefox: hard reload failed (${value})`)
      await pollUntil(() => tab.evaluate((title) => document.title !== title && document.readyState === 'complete', marker).catch(() => false))
    },
    close: () => browser.close(),
  }
}


async function newContext(browser: Browser): Promise<Context> {
  const context = await browser.createBrowserContext()
  return {
    newPage: async () => tab(await context.newPage()),
    addCookies: (cookies) =>
      context.setCookie(...cookies.map(({ name, value, url }) => ({ name, value, domain: new URL(url).hostname, path: '/' }))),
    close: () => context.close(),
  }
}

function tab(page: Page): Tab {
  if (process.env.LAB_DEBUG) {
    page.on('console', (m) => console.log(`[page] ${m.text()}`))
    page.on('pageerror', (e) => console.log(`[pageerror] ${String(e)}`))
  }
  const evaluate = (fn: (arg: unknown) => unknown, arg?: unknown) => page.evaluate(fn, arg)
  return {
    evaluate: evaluate as Tab['evaluate'],
    goto: (url) => page.goto(url),
    reload: () => page.reload(),
    // puppeteer's goBack waits for a load event, which a restore from the bfcache never fires.
    goBack: (options) =>
      options?.waitUntil === 'commit'
        ? (page.browser() as unknown as { connection: Bidi }).connection.send('browsingContext.traverseHistory', { context: (page.mainFrame() as unknown as { _id: string })._id, delta: -1 })
        : page.goBack(),
    waitForFunction: (fn, arg, options) => pollUntil(() => evaluate(fn as (arg: unknown) => unknown, arg), options?.timeout),
    close: () => page.close(),
  }
}
