/**
 * What the browser tests need from a browser, whatever the engine: fresh contexts, tabs in them,
 * evaluate, navigate, and stopping the service worker. The shapes are playwright's (a Chromium
 * context *is* a playwright BrowserContext), so a test written for playwright ports by its types.
 */
export type EngineName = 'chromium' | 'firefox' | 'webkit'

export const ENGINE_NAMES: readonly EngineName[] = ['chromium', 'firefox', 'webkit']

/** What an engine's driver can do; a test that needs one it lacks names the gap instead of failing. */
export interface Capabilities {
  /** Stops the service workers while pages of their origin stay open. WebKit has no way: it stops a worker ~10 s after the last page of its origin left. */
  stopWorkersInPlace: boolean
  /**
   * An engine trait, not the driver's: what a long task in the tab the worker started in holds
   * up until it ends (measured with a 3 s task). Nothing in Chromium. Every tab's fetch events and
   * `clients.matchAll` in Firefox, so another tab asked to refresh cannot reach its provider. The
   * stuck tab's responses and every tab's messages to the worker in WebKit, so the worker learns
   * of the 401 only when the tab is free. A stuck tab the worker did not start in holds nothing in
   * WebKit, and only `clients.matchAll` in Firefox, which the worker does not wait on for long.
   */
  stuckHostHolds: 'nothing' | 'fetch-events' | 'worker'
  /** Clears an origin's site data, as a person or Clear-Site-Data would: its IndexedDB only, or everything (the worker's registration too). */
  clearSiteData: boolean
  /** Reloads bypassing the cache, as Shift+Reload does: the page comes back uncontrolled (Service Workers §4.3, "force-reload"). */
  hardReload: boolean
}

/** What each engine's driver can do, known before it starts, so a test file can name its gaps. */
export const CAPABILITIES: Readonly<Record<EngineName, Capabilities>> = {
  chromium: { stopWorkersInPlace: true, stuckHostHolds: 'nothing', hardReload: true, clearSiteData: true },
  firefox: { stopWorkersInPlace: true, stuckHostHolds: 'fetch-events', hardReload: true, clearSiteData: true },
  webkit: { stopWorkersInPlace: false, stuckHostHolds: 'worker', hardReload: false, clearSiteData: false },
}

/** Why an engine lacks a capability, as the name of a test that needs it says. */
export const GAP_REASONS: Readonly<Record<EngineName, Partial<Record<Exclude<keyof Capabilities, 'stuckHostHolds'>, string>>>> = {
  chromium: {},
  firefox: {},
  webkit: {
    stopWorkersInPlace: 'no way to stop a service worker while a page of its origin is open',
    hardReload: 'WebDriver classic has no reload that bypasses the cache',
    clearSiteData: 'WebDriver classic has no way to clear an origin\'s storage (Clear-Site-Data clears IndexedDB, not the registration)',
  },
}

/** One tab: the subset of playwright's Page the tests use. */
export interface Tab {
  /** Runs `fn` in the page with one JSON-like argument and resolves with its (awaited) result. */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<unknown>
  reload(): Promise<unknown>
  /** Back one page; with `waitUntil: 'commit'` it does not wait for a load event (a restore from the back/forward cache fires none). */
  goBack(options?: { waitUntil?: 'commit' }): Promise<unknown>
  /** Resolves once `fn(arg)` is truthy in the page. */
  waitForFunction<A>(fn: (arg: A) => unknown, arg?: A, options?: { timeout?: number }): Promise<unknown>
  close(): Promise<void>
}

/** A cookie for one URL's host, as playwright's addCookies takes it. */
export interface Cookie {
  name: string
  value: string
  url: string
}

/** A browser context: a fresh profile (storage, cookies, service workers) and its tabs. */
export interface Context {
  newPage(): Promise<Tab>
  addCookies(cookies: Cookie[]): Promise<void>
  close(): Promise<void>
}

export type TabOf<C extends Context> = Awaited<ReturnType<C['newPage']>>

export interface Engine<C extends Context = Context> {
  readonly name: EngineName
  /** The browser's own name and version, e.g. "Firefox 153.0". */
  readonly version: string
  readonly can: Capabilities
  newContext(): Promise<C>
  /** What the browser does to idle workers, on demand: module state is gone, IndexedDB stays. Throws unless `can.stopWorkersInPlace`. */
  stopWorkers(tab: TabOf<C>): Promise<void>
  /** Clears `origin`'s IndexedDB, or all its site data. Throws unless `can.clearSiteData`. */
  clearSiteData(tab: TabOf<C>, origin: string, what: 'indexeddb' | 'all'): Promise<void>
  /** Shift+Reload. Throws unless `can.hardReload`. */
  hardReload(tab: TabOf<C>): Promise<void>
  close(): Promise<void>
}

export interface LaunchOptions {
  /** Keep the back/forward cache on (playwright turns Chromium's off unless told). */
  bfcache?: boolean
}

/** Thrown for what a driver cannot do (see Capabilities), so a gap is never silent. */
export class Unsupported extends Error {
  constructor(engine: EngineName, what: string) {
    super(`${engine} cannot ${what}`)
    this.name = 'Unsupported'
  }
}

/** waitForFunction for drivers without one: polls an evaluate. */
export async function pollUntil(check: () => Promise<unknown>, timeout = 30_000): Promise<unknown> {
  const end = Date.now() + timeout
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > end) throw new Error(`waitForFunction: still falsy after ${timeout} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
