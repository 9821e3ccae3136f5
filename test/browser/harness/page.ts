import type { Tab } from './engines/engine.js'

/** What the test page's `call` returns: a status, or 0 and the error for a network failure. */
export interface Result {
  status: number
  body: string
  error?: string
}

/** A plain fetch from the page, as the app would make it. */
export const call = (page: Tab, url: string, init?: RequestInit): Promise<Result> =>
  page.evaluate(([u, i]) => (window as any).call(u, i), [url, init] as const)

/** All at once from one page. */
export const storm = (page: Tab, urls: string[]): Promise<Result[]> => page.evaluate((u) => (window as any).callMany(u), urls)

/** The session events this page has seen, of one type. */
export const events = (page: Tab, type: string): Promise<any[]> =>
  page.evaluate((t) => (window as any).events.filter((e: any) => e.type === t), type)

/** How often this page's getAccessToken ran. */
export const providerCalls = (page: Tab): Promise<number> => page.evaluate(() => (window as any).providerCalls)

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
