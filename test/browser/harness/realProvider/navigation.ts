import type { Tab } from '../engines/index.js'

/**
 * Resolves with the first truthy value of `fn(arg)` in the tab, polled. Unlike Tab's
 * waitForFunction it polls through navigations: while one is under way an evaluate throws (the
 * document is going, or the next one is not there yet), which here only means "not yet".
 * What playwright's waitForURL did, for any engine.
 */
export async function waitInTab<R, A>(tab: Tab, what: string, fn: (arg: A) => R, arg: A, timeout = 30_000): Promise<R> {
  const end = Date.now() + timeout
  let last = 'no answer yet'
  for (;;) {
    try {
      const value = await tab.evaluate(fn, arg)
      if (value) return value
      last = String(value)
    } catch (error) {
      last = String(error)
    }
    if (Date.now() > end) throw new Error(`${what}: not after ${timeout} ms (last: ${last.slice(0, 300)})`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * Runs `fn(arg)` in the page to start a navigation and returns without waiting for it. The
 * evaluate may end without an answer as the document goes: whether the navigation happened is
 * for the caller's wait to find out.
 */
export async function navigateFromPage<A>(tab: Tab, fn: (arg: A) => void, arg: A): Promise<void> {
  await tab.evaluate(fn, arg).catch(() => {})
}
