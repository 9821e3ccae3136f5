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
  /** Tabs of one context evaluate at the same time (WebDriver classic runs one command per session at a time). */
  concurrentTabs: boolean
}

/** One tab: the subset of playwright's Page the tests use. */
export interface Tab {
  /** Runs `fn` in the page with one JSON-like argument and resolves with its (awaited) result. */
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<unknown>
  reload(): Promise<unknown>
  goBack(): Promise<unknown>
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
