import { existsSync } from 'node:fs'
import { benchCall } from './benchCall.js'

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

/** Fails with one line that says how to install it. */
export function assertFirefox() {
  if (!existsSync(FIREFOX)) {
    throw new Error(`Firefox not found at ${FIREFOX}: run "sudo apt-get install -y firefox-esr" (or set FIREFOX_PATH)`)
  }
}

/** Added to puppeteer's own profile (which already keeps Firefox from updating, reporting or phoning home). */
export const PREFS = {
  // A page that is not cross-origin isolated sees performance.now() in whole milliseconds
  // (reduceTimerPrecision), coarser than the loopback round trips row 1 times. Off, it still
  // ticks in 20 µs steps (reduceTimerPrecision.unconditional); the network path is the same.
  'privacy.reduceTimerPrecision': false,
  // Every tab is a foreground tab, as Chromium's --disable-background-timer-throttling makes them.
  'dom.min_background_timeout_value': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
}

/**
 * Debian's Firefox ESR, headless, through puppeteer-core over WebDriver BiDi. Puppeteer
 * subscribes to BiDi's network events, and then Firefox reports every request, the worker's
 * too, to Node, which costs each one milliseconds. The bench ends that subscription, as the
 * cdp driver enables no Network domain; `networkEvents` keeps it, to see that overhead
 * (`--firefox-driver=puppeteer`).
 */
export async function launchFirefox({ networkEvents = false } = {}) {
  assertFirefox()
  const { default: puppeteer } = await import('puppeteer-core')
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true, extraPrefsFirefox: PREFS })
  // The raw BiDi connection puppeteer holds (Firefox allows one BiDi session); not in its types.
  const bidi = browser.connection
  if (!networkEvents) await bidi.send('session.unsubscribe', { events: ['network'] })
  const version = (await browser.version()).replace(/^firefox\//i, '')
  return {
    version: () => version,
    async newContext() {
      return new FirefoxContext(bidi, await browser.createBrowserContext())
    },
    close: () => browser.close(),
  }
}

class FirefoxContext {
  constructor(bidi, context) {
    this.bidi = bidi
    this.context = context
  }

  async openTab(url) {
    // A window per tab: tabs of one window are hidden behind the one in front (and their timers
    // throttled), where every Chromium target is a page of its own, visible.
    const page = await this.context.newPage({ type: 'window' })
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
    const tab = { page, call: (name, ...args) => page.evaluate(benchCall(name, args)), close: () => page.close() }
    // Not puppeteer's goto, which waits for the network events the bench unsubscribed from.
    // A page may navigate on its own after its load: ask until it defines `bench`.
    await this.bidi.send('browsingContext.navigate', { context: page.mainFrame()._id, url, wait: 'complete' })
    const deadline = Date.now() + 20_000
    const ready = () => page.evaluate(`document.readyState === 'complete' && 'bench' in window`).catch(() => false)
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`the bench page at ${url} did not load`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return tab
  }

  /** Row 4 (cold start) runs in Chromium only: the bench has no way here to stop a worker. */
  async stopWorkers() {
    throw new Error('firefox: the bench does not stop service workers in Firefox (row 4 is Chromium only)')
  }

  close() {
    return this.context.close()
  }
}
