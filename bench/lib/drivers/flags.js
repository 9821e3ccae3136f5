import { existsSync } from 'node:fs'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Headless Debian Chromium, kept off the network. */
export const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Every tab is a foreground tab: timers, process priority and occlusion never
  // depend on which tab the bench happened to open last (Playwright sets these too).
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
]

export function assertChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
}

/** The expression that calls `window.bench[name](...args)` in a page. */
export const benchCall = (name, args) => `window.bench[${JSON.stringify(name)}](...${JSON.stringify(args)})`
