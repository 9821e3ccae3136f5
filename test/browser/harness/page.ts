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

/**
 * Starts fetches in the page and returns at once; `collect` awaits their results. With it, several
 * tabs (or a fetch and a later command in the same tab) act at the same moment in every engine,
 * WebDriver classic's one-command-at-a-time included.
 */
export const start = (page: Tab, urls: string[], init?: RequestInit): Promise<void> =>
  page.evaluate(([u, i]) => void ((window as any).pending = (window as any).callMany(u, i)), [urls, init] as const)

/** The results of what `start` began in this page. */
export const collect = (page: Tab): Promise<Result[]> => page.evaluate(() => (window as any).pending)

/**
 * Writes `token` into the worker's IndexedDB from the page, newer than anything there, without
 * telling the worker: only a worker that starts afresh (or resyncs) reads it.
 */
export const storeBehindWorker = (page: Tab, token: string): Promise<void> =>
  page.evaluate(async (t) => {
    const db = await new Promise<IDBDatabase>(async (resolve, reject) => {
      const open = indexedDB.open(`sw-bearer ${(await navigator.serviceWorker.getRegistration())!.scope}`)
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    const stamp = Date.now() * 2
    const tx = db.transaction(['session', 'meta'], 'readwrite')
    tx.objectStore('session').put({ token: t, stamp }, 'current')
    tx.objectStore('meta').put(stamp, 'stamp')
    await new Promise((resolve) => (tx.oncomplete = resolve))
    db.close()
  }, token)
