/**
 * Review of issue 14 (the in-page fallback) in real browsers, through the public API: each test
 * is an app's plain code in a page whose worker cannot run. Tests that fail demonstrate a bug.
 */
import { describe, expect, it } from 'vitest'
import { engines, type Tab } from './harness/engines/index.js'
import { call, events, sleep } from './harness/page.js'
import { useLab } from './harness/useLab.js'

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  /** A secure tab whose worker script 404s: the session runs in the page at once. */
  async function inPageTab(extra: object = {}): Promise<Tab> {
    const page = (await (await lab.context()).newPage()) as Tab
    await page.goto(`${lab.pageOrigin}/`)
    await page.waitForFunction(() => 'register' in window)
    const registered = await page.evaluate(
      (e) => (window as any).register(e),
      { scriptURL: '/missing-sw.js', fallback: { apiOrigins: [lab.apiOrigin] }, ...extra },
    )
    expect(registered.mode).toBe('in-page')
    return page
  }

  describe('XMLHttpRequest in the page', () => {
    it('an app that opens its XHR again inside the 401 it finally gets (the refresh failed) sees only the new request’s events', async () => {
      const page = await inPageTab()
      lab.issuer.revokeAll()
      lab.issuer.mode = 'throw'
      const seen = await page.evaluate(
        (api) =>
          new Promise<string[]>((resolve) => {
            const seen: string[] = []
            const x = new XMLHttpRequest()
            let retried = false
            x.onreadystatechange = () => {
              if (x.readyState !== 4) return
              seen.push(`done:${x.status}`)
              // The app's own retry, on the same object, somewhere that needs no token.
              if (x.status === 401 && !retried) {
                retried = true
                x.open('GET', `${api}/echo?id=app-retry`)
                x.send()
              }
            }
            x.addEventListener('load', () => seen.push(`load:${x.status}`))
            x.addEventListener('loadend', () => {
              seen.push(`loadend:${x.status}`)
              if (x.status === 200) resolve(seen)
            })
            x.open('GET', `${api}/auth?id=refused`)
            x.send()
            setTimeout(() => resolve(seen), 5000)
          }),
        lab.apiOrigin,
      )
      expect(seen).toEqual(['done:401', 'done:200', 'load:200', 'loadend:200'])
      expect(lab.api.sends('app-retry')).toHaveLength(1)
    })

    it('an XHR object reused (abort, open, send) while its hidden 401 is refreshed sends the new request once, and never with the token to an unlisted origin', async () => {
      const page = await inPageTab()
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 1500
      const loads = await page.evaluate(
        ([api, other]) =>
          new Promise<number>((resolve) => {
            let loads = 0
            const x = new XMLHttpRequest()
            x.addEventListener('load', () => loads++)
            x.open('GET', `${api}/auth?id=reuse-first`)
            x.send()
            // The app's own timeout: it gives up on the first request and asks a mirror instead.
            setTimeout(() => {
              x.abort()
              x.open('GET', `${other}/echo?id=reuse-second`)
              x.send()
            }, 500)
            setTimeout(() => resolve(loads), 3500)
          }),
        [lab.apiOrigin, lab.otherOrigin] as const,
      )
      expect(lab.api.sends('reuse-first')).toHaveLength(1)
      expect(lab.other.sends('reuse-second').map((s) => s.authorization ?? null)).toEqual([null])
      expect(loads).toBe(1)
    })

    it('an XHR aborted while its 401 is hidden for the refresh fires abort and loadend (or its listeners never run)', async () => {
      const page = await inPageTab()
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 1500
      const seen = await page.evaluate(
        (api) =>
          new Promise<string[]>((resolve) => {
            const seen: string[] = []
            const x = new XMLHttpRequest()
            for (const type of ['load', 'error', 'abort', 'loadend']) x.addEventListener(type, () => seen.push(type))
            x.open('GET', `${api}/auth?id=abort-hidden`)
            x.send()
            setTimeout(() => x.abort(), 500) // the 401 has arrived, the refresh is under way
            setTimeout(() => resolve(seen), 3500)
          }),
        lab.apiOrigin,
      )
      expect(lab.api.sends('abort-hidden')).toHaveLength(1)
      expect(seen).toContain('loadend')
    })

    it('an XHR aborted while it waits for a refresh under way fires what the browser’s own XHR fires (readystatechange to DONE, abort, loadend)', async () => {
      const page = await inPageTab()
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 1500
      const { native, patched } = await page.evaluate(
        (api) => {
          /** Sends, aborts after 200 ms, and lists the events with readyState, as an app's listeners see them. */
          const run = (Xhr: typeof XMLHttpRequest, url: string) =>
            new Promise<string[]>((resolve) => {
              const seen: string[] = []
              const x = new Xhr()
              for (const type of ['readystatechange', 'abort', 'loadend']) x.addEventListener(type, () => seen.push(`${type}:${x.readyState}`))
              x.open('GET', url)
              x.send()
              setTimeout(() => x.abort(), 200)
              setTimeout(() => resolve(seen), 1000)
            })
          // The browser's own XHR (what sw-bearer subclasses) on a slow route, for reference.
          const Native = Object.getPrototypeOf(XMLHttpRequest) as typeof XMLHttpRequest
          return run(Native, `${api}/slow?ms=2000&id=abort-native`).then(async (native) => {
            // A fetch whose 401 starts a refresh; the XHR sent meanwhile waits for it.
            void fetch(`${api}/auth?id=abort-wait-trigger`)
            await new Promise((r) => setTimeout(r, 300))
            return { native, patched: await run(XMLHttpRequest, `${api}/echo?id=abort-wait`) }
          })
        },
        lab.apiOrigin,
      )
      expect(native).toContain('readystatechange:4')
      expect(patched).toEqual(native)
    })

    it('decides on the URL the browser opens: a URL-like object read twice never takes the token elsewhere', async () => {
      const page = await inPageTab()
      const status = await page.evaluate(
        ([api, other]) =>
          new Promise<number>((resolve) => {
            let readings = 0
            const target = { toString: () => (readings++ === 0 ? `${api}/echo?id=sneaky-x` : `${other}/echo?id=sneaky-x`) }
            const x = new XMLHttpRequest()
            x.open('GET', target as unknown as string)
            x.onloadend = () => resolve(x.status)
            x.send()
          }),
        [lab.apiOrigin, lab.otherOrigin] as const,
      )
      expect(status).toBe(200)
      // The URL is read once (the listed one): the request goes there, with the token, and nowhere else.
      expect(lab.other.sends('sneaky-x')).toEqual([])
      expect(lab.api.sends('sneaky-x').map((s) => s.authorization)).toEqual([`Bearer ${lab.issuer.issued.at(-1)}`])
    })
  })

  describe('fetch in the page', () => {
    it('decides on the Request the browser sends: a Request subclass whose url getter names a listed origin gets no token elsewhere', async () => {
      const page = await inPageTab()
      const status = await page.evaluate(
        ([api, other]) => {
          class Named extends Request {
            override get url() {
              return `${api}/echo?id=subclass`
            }
          }
          return fetch(new Named(`${other}/echo?id=subclass`)).then((r) => r.status)
        },
        [lab.apiOrigin, lab.otherOrigin] as const,
      )
      expect(status).toBe(200)
      expect(lab.other.sends('subclass').map((s) => s.authorization ?? null)).toEqual([null])
    })
  })

  describe('moving to the worker', () => {
    it('keeps a session signed in with setToken (a getter with nothing cached) when the worker takes control later', async () => {
      const page = (await (await lab.context()).newPage()) as Tab
      await page.goto(`${lab.pageOrigin}/`)
      await page.waitForFunction(() => 'register' in window)
      lab.issuer.mode = 'null' // the SDK holds nothing: the app signs in with the token its login answer gave
      const registered = await page.evaluate(
        (api) => (window as any).register({ scriptURL: '/slow-sw.js?ms=2500', fallback: { apiOrigins: [api], timeoutMs: 300 } }),
        lab.apiOrigin,
      )
      expect(registered).toMatchObject({ mode: 'in-page', claims: null })
      const token = await lab.issuer.mint()
      await page.evaluate((t) => (window as any).session.setToken(t), token)
      expect(lab.api.sends('set-in-page').length).toBe(0)
      await call(page, `${lab.apiOrigin}/echo?id=set-in-page`)
      expect(lab.api.sends('set-in-page')[0]?.authorization).toBe(`Bearer ${token}`)
      await expect.poll(() => page.evaluate(() => (window as any).session.mode), { timeout: 15_000 }).toBe('service-worker')
      await sleep(300)
      expect(await page.evaluate(() => (window as any).session.hasToken)).toBe(true)
      expect(await events(page, 'logout')).toEqual([])
      await call(page, `${lab.apiOrigin}/echo?id=after-move`)
      expect(lab.api.sends('after-move')[0]?.authorization).toBe(`Bearer ${token}`)
    })
  })

  describe('fallback options in a real browser', () => {
    it('refuses a wildcard origin with invalid-options', async () => {
      const page = (await (await lab.context()).newPage()) as Tab
      await page.goto(`${lab.pageOrigin}/`)
      await page.waitForFunction(() => 'register' in window)
      const error = await page.evaluate(() =>
        (window as any).swError((window as any).register({ scriptURL: '/missing-sw.js', fallback: { apiOrigins: ['https://*.example.com'] } })),
      )
      expect(error).toMatchObject({ code: 'invalid-options' })
    })
  })
})
