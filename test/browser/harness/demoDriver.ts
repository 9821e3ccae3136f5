import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { IncomingMessage } from 'node:http'
import type { Page } from 'playwright-core'
import type { EngineName, Tab } from './engines/index.js'

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

/**
 * The demo driven as a person would, in any engine: actions are DOM calls made through evaluate,
 * waits are polls. What playwright's page events told, the page's own state tells here (its log,
 * its uncaught errors), and what its network events told, the servers do (RequestLog): WebKit's
 * driver has no events.
 */
export class DemoTab {
  /** `errors` collects the uncaught errors and unhandled rejections of the documents this tab shows. */
  constructor(
    readonly tab: Tab,
    private readonly errors: string[],
  ) {}

  async goto(url: string): Promise<void> {
    await this.tab.goto(url)
    await this.watch()
  }

  /**
   * Resolves with the first truthy `fn(arg)`, polled. An evaluate throws while a navigation is
   * under way (the document is going, or the next is not there yet): here that means "not yet".
   */
  until<R, A>(what: string, fn: (arg: A) => R, arg: A, timeout = 15_000): Promise<Truthy<R>> {
    return this.poll(what, () => this.tab.evaluate(fn, arg), timeout)
  }

  /** `until` for a check made of evaluates. */
  async poll<R>(what: string, check: () => Promise<R>, timeout = 15_000): Promise<Truthy<R>> {
    const end = Date.now() + timeout
    let last = 'no answer yet'
    for (;;) {
      try {
        await this.watch()
        const value = await check()
        if (value) return value as Truthy<R>
        last = JSON.stringify(value)
      } catch (error) {
        last = String(error)
      }
      if (Date.now() > end) throw new Error(`${what}: not after ${timeout} ms (last: ${last.slice(0, 300)})`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  state(value: 'signed-in' | 'signed-out'): Promise<true> {
    return this.until(`body[data-state="${value}"]`, (v) => document.body?.dataset.state === v, value)
  }

  /** Resolves with the tab's URL once it shows a page of `origin`, and `selector` is in it if given. */
  at(origin: string, selector = ''): Promise<string> {
    return this.until(
      `a page of ${origin}${selector && ` with ${selector}`}`,
      ([o, s]) => location.origin === o && (!s || document.querySelector(s) !== null) && location.href,
      [new URL(origin).origin, selector] as const,
    )
  }

  /**
   * Clicks once the element is there. The evaluate of a click that navigates (`navigates`) may
   * end without an answer as the document goes: whether it went is for the next wait to tell.
   */
  async click(selector: string, { navigates = false } = {}): Promise<void> {
    await this.until(`${selector} to click`, (s) => document.querySelector(s) !== null, selector)
    const click = this.tab.evaluate((s) => (document.querySelector(s) as HTMLElement).click(), selector)
    await (navigates ? click.catch(() => {}) : click)
  }

  /** Types into a field: its value, then the events typing fires. */
  async fill(selector: string, value: string): Promise<void> {
    await this.until(`${selector} to fill`, (s) => document.querySelector(s) !== null, selector)
    await this.tab.evaluate(
      ([s, v]) => {
        const input = document.querySelector(s) as HTMLInputElement
        input.focus()
        input.value = v
        input.dispatchEvent(new Event('input', { bubbles: true }))
        input.dispatchEvent(new Event('change', { bubbles: true }))
      },
      [selector, value] as const,
    )
  }

  text(selector: string): Promise<string | null> {
    return this.tab.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector)
  }

  url(): Promise<string> {
    return this.tab.evaluate(() => location.href)
  }

  /**
   * Clicks and resolves with the status the app's own request got, after whatever the worker did
   * in between: the app logs every answer it gets ("The app's fetch GET /me resolved 200 in 4 ms").
   */
  async clickFor(selector: string, route: string): Promise<number> {
    const before = (await this.answers(route)).length
    await this.click(selector)
    const answer = await this.poll(`the app's ${route} to resolve`, async () => {
      const answers = await this.answers(route)
      return answers.length > before && answers.at(-1)!
    })
    return Number(/ resolved (\d{3}) /.exec(answer)![1])
  }

  /** What the app logged of its answers to `route` ("GET /me"), oldest first. */
  answers(route: string): Promise<string[]> {
    return this.tab.evaluate(
      (r) =>
        [...document.querySelectorAll('.entry p')]
          .map((p) => p.textContent ?? '')
          .filter((text) => text.startsWith("The app's ") && text.includes(` ${r} resolved `)),
      route,
    )
  }

  /** The page's live log, oldest first, as `source: text`. */
  logLines(): Promise<string[]> {
    return this.tab.evaluate(() =>
      [...document.querySelectorAll('.entry')].map((e) => `${e.querySelector('small')!.textContent!.split(' · ')[0]}: ${e.querySelector('p')!.textContent}`),
    )
  }

  /**
   * Hooks the document's uncaught errors and unhandled rejections (once per document), and moves
   * what they caught into `errors`. They wait in sessionStorage, which outlives the document: an
   * error just before a navigation is read on the origin's next page in this tab.
   */
  async watch(): Promise<void> {
    const caught = await this.tab.evaluate(() => {
      const key = 'demo-test:errors'
      const w = window as unknown as { demoTestHooked?: boolean }
      if (!w.demoTestHooked) {
        w.demoTestHooked = true
        const keep = (text: string) => sessionStorage.setItem(key, JSON.stringify([...JSON.parse(sessionStorage.getItem(key) ?? '[]'), `${location.origin}: ${text}`]))
        addEventListener('error', (event) => keep(event.message))
        addEventListener('unhandledrejection', ({ reason }) => keep(`unhandled rejection: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)}`))
      }
      const errors = JSON.parse(sessionStorage.getItem(key) ?? '[]') as string[]
      sessionStorage.removeItem(key)
      return errors
    })
    this.errors.push(...caught)
  }
}

export interface SeenRequest {
  url: URL
  method: string
  /** Sec-Fetch-Dest: 'document' for a tab's navigation. */
  dest: string | undefined
}

/**
 * Every request this process's HTTP servers receive, in order, as they saw it: the demo's page
 * server, provider and API all run in the test's process. Node's own diagnostics channel, so the
 * demo's servers stay as they are.
 */
export class RequestLog {
  readonly seen: SeenRequest[] = []
  readonly #listener = (message: unknown) => {
    const { request } = message as { request: IncomingMessage }
    this.seen.push({ url: new URL(request.url ?? '/', `http://${request.headers.host}`), method: request.method ?? '', dest: request.headers['sec-fetch-dest'] })
  }

  constructor() {
    subscribe('http.server.request.start', this.#listener)
  }

  mark(): number {
    return this.seen.length
  }

  /** The documents tabs asked for since `mark`, in order: their navigations, redirects included. */
  documents(since: number): SeenRequest[] {
    return this.seen.slice(since).filter((request) => request.dest === 'document')
  }

  stop(): void {
    unsubscribe('http.server.request.start', this.#listener)
  }
}

/** The viewport docs/demo.png is taken at. Chromium's only: its tab is playwright's Page, which can. */
export async function sizeForScreenshot(engine: EngineName, tab: Tab): Promise<void> {
  if (engine === 'chromium') await (tab as unknown as Page).setViewportSize({ width: 1360, height: 900 })
}

/** A PNG of the tab, in Chromium; elsewhere undefined (neither other driver takes one through the Tab interface). */
export async function screenshot(engine: EngineName, tab: Tab, path: string): Promise<Buffer | undefined> {
  return engine === 'chromium' ? (tab as unknown as Page).screenshot({ path }) : undefined
}
