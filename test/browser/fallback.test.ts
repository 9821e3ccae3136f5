import { describe, expect, it } from 'vitest'
import { engines, type Context, type Tab } from './harness/engines/index.js'
import { call, collect, events, sleep, start } from './harness/page.js'
import { useLab } from './harness/useLab.js'

/** What window.inspect returns: session.inspect() with its workerError as plain data. */
interface Inspection {
  mode: 'service-worker' | 'in-page'
  controlled: boolean
  hasToken: boolean
  workerError: { name: string; code: string; message: string } | null
  request?: { url: string; getsToken: boolean; reason?: string; nearMiss?: string }
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  /** The lab's page on a name that is not localhost, over http: not a secure context. */
  async function insecureTab(context?: Context): Promise<Tab> {
    const page = await (context ?? (await lab.context())).newPage()
    await page.goto(`http://app.sw-bearer.test:${lab.pageServer.port}/`)
    await page.waitForFunction(() => 'register' in window)
    return page as Tab
  }

  /** A tab of the lab's page (a secure context: localhost), at `path`, its app loaded but not registered. */
  async function secureTab(path = '/'): Promise<Tab> {
    const page = await (await lab.context()).newPage()
    await page.goto(`${lab.pageOrigin}${path}`)
    await page.waitForFunction(() => 'register' in window)
    return page as Tab
  }

  /**
   * Takes navigator.serviceWorker away from a page, before it registers. Stands for private
   * windows and managed browser policies that leave a secure page without service workers; the
   * insecure origin is the real "absent" case.
   */
  const removeServiceWorkers = (page: Tab): Promise<{ secure: boolean; present: boolean }> =>
    page.evaluate(() => {
      Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined, configurable: true })
      return { secure: window.isSecureContext, present: navigator.serviceWorker !== undefined }
    })

  const fallback = (extra: { timeoutMs?: number } = {}) => ({ apiOrigins: [lab.apiOrigin], ...extra })
  const register = (page: Tab, extra: object): Promise<{ controlled: boolean; mode: string }> =>
    page.evaluate((e) => (window as any).register(e), extra)
  const inspect = (page: Tab, url: string | null = null): Promise<Inspection> => page.evaluate((u) => (window as any).inspect(u), url)
  const natives = (page: Tab): Promise<{ fetch: boolean; xhr: boolean }> => page.evaluate(() => (window as any).natives())
  const mode = (page: Tab): Promise<string> => page.evaluate(() => (window as any).session.mode)
  const xhr = (page: Tab, url: string, method = 'GET', body: string | null = null) =>
    page.evaluate(([u, m, b]) => (window as any).xhr(u, m, b), [url, method, body] as const)

  /** Registers, timing it in the page: a failure the browser reports must not wait out `timeoutMs`. */
  const timedRegister = (page: Tab, extra: object): Promise<{ elapsed: number; mode: string; controlled: boolean }> =>
    page.evaluate(async (e) => {
      const t0 = performance.now()
      const registered = await (window as any).register(e)
      return { elapsed: performance.now() - t0, ...registered }
    }, extra)

  /**
   * What every failure mode must still give the app, in the page: plain fetch and
   * XMLHttpRequest reach the API with the token, and a 401 costs one provider call and one
   * retry, the body replayed, for each.
   */
  async function worksInPage(page: Tab, id: string): Promise<void> {
    expect(await mode(page)).toBe('in-page')
    expect(await natives(page)).toEqual({ fetch: false, xhr: false })
    const token = lab.issuer.issued.at(-1)!
    expect((await call(page, `${lab.apiOrigin}/echo?id=${id}-f`)).status).toBe(200)
    expect(lab.api.sends(`${id}-f`)[0]?.authorization).toBe(`Bearer ${token}`)
    expect((await xhr(page, `${lab.apiOrigin}/echo?id=${id}-x`)).status).toBe(200)
    expect(lab.api.sends(`${id}-x`)[0]?.authorization).toBe(`Bearer ${token}`)

    lab.issuer.revokeAll()
    lab.issuer.calls = 0
    expect((await call(page, `${lab.apiOrigin}/auth?id=${id}-r`, { method: 'POST', body: 'same bytes' })).status).toBe(200)
    expect(lab.issuer.calls).toBe(1)
    const fresh = lab.issuer.issued.at(-1)!
    expect(fresh).not.toBe(token)
    expect(lab.api.sends(`${id}-r`).map((s) => [s.authorization, s.body.toString()])).toEqual([
      [`Bearer ${token}`, 'same bytes'],
      [`Bearer ${fresh}`, 'same bytes'],
    ])
    lab.issuer.revokeAll()
    lab.issuer.calls = 0
    expect((await xhr(page, `${lab.apiOrigin}/auth?id=${id}-xr`, 'PUT', 'xhr bytes')).status).toBe(200)
    expect(lab.issuer.calls).toBe(1)
    expect(lab.api.sends(`${id}-xr`).map((s) => [s.authorization, s.body.toString()])).toEqual([
      [`Bearer ${fresh}`, 'xhr bytes'],
      [`Bearer ${lab.issuer.issued.at(-1)}`, 'xhr bytes'],
    ])
  }

  describe('when the page is not a secure context', () => {
    it('runs in the page: plain fetch and XMLHttpRequest carry the token, and a 401 refreshes once and retries once', async () => {
      const page = await insecureTab()
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false)
      expect(await register(page, { fallback: fallback() })).toMatchObject({ controlled: false, mode: 'in-page' })
      await worksInPage(page, 'insecure')
    })
  })

  describe('when navigator.serviceWorker is absent in a secure context', () => {
    it('runs in the page: the token on fetch and XMLHttpRequest, a 401 refreshes once and retries once, and inspect() says unsupported', async () => {
      const page = await secureTab()
      expect(await removeServiceWorkers(page)).toEqual({ secure: true, present: false })
      expect(await register(page, { fallback: fallback() })).toMatchObject({ controlled: false, mode: 'in-page' })
      await worksInPage(page, 'absent')
      expect(await inspect(page)).toMatchObject({ mode: 'in-page', controlled: false, hasToken: true, workerError: { name: 'SwBearerError', code: 'unsupported' } })
    })

    it('without a fallback, registration still rejects with unsupported, and nothing is patched', async () => {
      const page = await secureTab()
      await removeServiceWorkers(page)
      expect(await page.evaluate(() => (window as any).swError((window as any).register()))).toMatchObject({ name: 'SwBearerError', code: 'unsupported' })
      expect(await natives(page)).toEqual({ fetch: true, xhr: true })
      expect((await call(page, `${lab.apiOrigin}/echo?id=none`)).status).toBe(200)
      expect(lab.api.sends('none')[0]?.authorization).toBeUndefined()
    })
  })

  describe('when the worker cannot register', () => {
    // Each is reported by the browser at once: the page must not wait out timeoutMs (20 s here).
    it.each([
      { what: 'the script 404s', path: '/', scriptURL: '/missing-sw.js' },
      { what: 'the script throws as it evaluates', path: '/', scriptURL: '/throwing-sw.js' },
      // The same app under /csp/, inside the worker's scope '/': its own scripts load, workers may not.
      { what: "a CSP forbids the worker (worker-src 'none')", path: '/csp/', scriptURL: undefined },
    ])('runs in the page when $what, without waiting out timeoutMs, and inspect() says registration-failed', async ({ path, scriptURL }) => {
      const page = await secureTab(path)
      const timeoutMs = 20_000
      const registered = await timedRegister(page, { ...(scriptURL ? { scriptURL } : {}), fallback: fallback({ timeoutMs }) })
      expect(registered).toMatchObject({ mode: 'in-page', controlled: false })
      expect(registered.elapsed).toBeLessThan(timeoutMs)
      await worksInPage(page, scriptURL ? scriptURL.slice(1, -6) : 'csp')
      expect(await inspect(page)).toMatchObject({ mode: 'in-page', controlled: false, workerError: { code: 'registration-failed' } })
      if (path === '/csp/') expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0)
    })
  })

  describe('when the worker never takes control', () => {
    it('runs in the page once fallback.timeoutMs has passed, and stays there while the page stays uncontrolled', async () => {
      const page = await secureTab()
      const registered = await timedRegister(page, { scriptURL: '/unclaiming-sw.js', fallback: fallback({ timeoutMs: 1000 }) })
      expect(registered).toMatchObject({ mode: 'in-page', controlled: false })
      expect(registered.elapsed).toBeGreaterThanOrEqual(1000)
      // The worker is there and active; it just never claims this page.
      expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.state)).toBe('activated')
      await worksInPage(page, 'unclaimed')
      await sleep(500)
      expect(await page.evaluate(() => navigator.serviceWorker.controller)).toBeNull()
      expect(await inspect(page)).toMatchObject({ mode: 'in-page', controlled: false, workerError: { code: 'registration-failed' } })
      expect(await events(page, 'modechange')).toEqual([])
    })
    it('shares one session with a tab the worker does control: a logout in either signs the other out', async () => {
      // The worker is active, so a tab opened after it is controlled from its navigation on:
      // one tab in the page, one served by the worker, the same user.
      const context = await lab.context()
      const inPage = await context.newPage()
      await inPage.goto(`${lab.pageOrigin}/`)
      await inPage.waitForFunction(() => 'register' in window)
      expect(await register(inPage, { scriptURL: '/unclaiming-sw.js', fallback: fallback({ timeoutMs: 1000 }) })).toMatchObject({ mode: 'in-page' })
      const served = await context.newPage()
      await served.goto(`${lab.pageOrigin}/`)
      await served.waitForFunction(() => 'register' in window)
      expect(await register(served, { scriptURL: '/unclaiming-sw.js', fallback: fallback({ timeoutMs: 1000 }) })).toMatchObject({ mode: 'service-worker', controlled: true })

      // Signed out by the tab the worker serves.
      await served.evaluate(() => (window as any).session.logout())
      await inPage.waitForFunction(() => (window as any).session.hasToken === false, undefined, { timeout: 3000 }).catch(() => {})
      expect(await inPage.evaluate(() => (window as any).session.hasToken)).toBe(false)
      expect(await events(inPage, 'logout')).toHaveLength(1)
      await call(inPage, `${lab.apiOrigin}/echo?id=in-page-after-logout`)
      expect(lab.api.sends('in-page-after-logout')[0]?.authorization).toBeUndefined()

      // Signed in again in both, then out by the tab in the page.
      for (const tab of [served, inPage]) expect(await tab.evaluate(() => (window as any).session.refresh())).toMatch(/\./)
      expect(await served.evaluate(() => (window as any).session.hasToken)).toBe(true)
      await inPage.evaluate(() => (window as any).session.logout())
      await served.waitForFunction(() => (window as any).session.hasToken === false, undefined, { timeout: 3000 }).catch(() => {})
      expect(await served.evaluate(() => (window as any).session.hasToken)).toBe(false)
      await call(served, `${lab.apiOrigin}/echo?id=served-after-logout`)
      expect(lab.api.sends('served-after-logout')[0]?.authorization).toBeUndefined()
    })
    it('shares one refresh with a tab the worker does control: a 401 storm in both costs one provider call', async () => {
      const context = await lab.context()
      const tabs: Tab[] = []
      for (const expected of ['in-page', 'service-worker']) {
        const tab = await context.newPage()
        await tab.goto(`${lab.pageOrigin}/`)
        await tab.waitForFunction(() => 'register' in window)
        expect(await register(tab, { scriptURL: '/unclaiming-sw.js', fallback: fallback({ timeoutMs: 1000 }) })).toMatchObject({ mode: expected })
        tabs.push(tab)
      }
      lab.issuer.revokeAll()
      lab.issuer.calls = 0
      lab.issuer.delayMs = 300
      for (const [t, tab] of tabs.entries()) await start(tab, ids(`mixed${t}`, 10).map((id) => `${lab.apiOrigin}/auth?id=${id}`))
      const results = await Promise.all(tabs.map(collect))
      expect(results.flat().map((r) => r.status)).toEqual(Array(20).fill(200))
      expect(lab.issuer.calls).toBe(1)
    })
  })

  describe('a page that gets controlled later', () => {
    it('moves to the worker without losing its session: a modechange, the browser’s own fetch and XMLHttpRequest again, the token now from the worker', async () => {
      const page = await secureTab()
      const registered = await register(page, { scriptURL: '/slow-sw.js?ms=3000', fallback: fallback({ timeoutMs: 500 }) })
      expect(registered).toMatchObject({ mode: 'in-page', controlled: false })
      const token = lab.issuer.issued.at(-1)!
      expect((await call(page, `${lab.apiOrigin}/echo?id=before`)).status).toBe(200)
      expect(lab.api.sends('before')[0]?.authorization).toBe(`Bearer ${token}`)
      const callsInPage = lab.issuer.calls

      // The app keeps calling, fetch and XMLHttpRequest in turn, until a little after the move.
      await page.evaluate((api) => {
        const w = window as any
        w.looping = true
        w.loop = (async () => {
          let i = 0
          for (; w.looping; i++) {
            await (i % 2 ? w.xhr : w.call)(`${api}/echo?id=loop-${i}`)
            await new Promise((resolve) => setTimeout(resolve, 25))
          }
          return i
        })()
      }, lab.apiOrigin)
      await page.waitForFunction(() => (window as any).session.mode === 'service-worker', undefined, { timeout: 15_000 })
      await sleep(300)
      const looped: number = await page.evaluate(() => (((window as any).looping = false), (window as any).loop))
      const loopSends = lab.api.hits.filter((h) => h.id?.startsWith('loop-'))
      expect(loopSends).toHaveLength(looped)
      expect(looped).toBeGreaterThan(10)
      // Not one went without the token, before, during or after the move.
      expect(loopSends.filter((h) => h.authorization !== `Bearer ${token}`)).toEqual([])
      expect(await events(page, 'modechange')).toMatchObject([{ mode: 'service-worker' }])
      expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true)
      expect(await page.evaluate(() => (window as any).session.hasToken)).toBe(true)
      expect(await events(page, 'logout')).toEqual([])
      expect(await natives(page)).toEqual({ fetch: true, xhr: true })
      // The page's fetch and XMLHttpRequest are the browser's own: the worker adds the token now.
      expect((await call(page, `${lab.apiOrigin}/echo?id=after`)).status).toBe(200)
      expect(lab.api.sends('after')[0]?.authorization).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect((await xhr(page, `${lab.apiOrigin}/echo?id=after-x`)).status).toBe(200)
      expect(lab.api.sends('after-x')[0]?.authorization).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      // One provider call in the page's startup; the worker's startup flight makes one more, which
      // the SDK's cache answers (not forced): the same token, nothing minted.
      expect(callsInPage).toBe(1)
      expect(lab.issuer.calls).toBe(2)
      expect(lab.issuer.mints).toBe(1)
      expect(lab.issuer.issued.at(-1)).toBe(token)
      // And the worker's 401 path: one refresh, one retry.
      lab.issuer.revokeAll()
      lab.issuer.calls = 0
      expect((await call(page, `${lab.apiOrigin}/auth?id=after-r`)).status).toBe(200)
      expect(lab.issuer.calls).toBe(1)
      expect(lab.api.sends('after-r').map((s) => s.authorization)).toEqual([`Bearer ${token}`, `Bearer ${lab.issuer.issued.at(-1)}`])
    })
  })

  describe('in-page mode never gives the token away', () => {
    async function inPageTab(): Promise<Tab> {
      const page = await insecureTab()
      await register(page, { fallback: fallback() })
      expect(await mode(page)).toBe('in-page')
      return page
    }

    it('never lets the token follow a redirect to an unlisted origin, nor across a chain that leaves the list and comes back', async () => {
      const page = await inPageTab()
      for (const via of ['fetch', 'xhr'] as const) {
        const send = (url: string) => (via === 'fetch' ? call(page, url) : xhr(page, url))
        const unlisted = `${lab.otherOrigin}/echo?id=${via}-redirected`
        const viaApi = `${lab.apiOrigin}/redirect?id=${via}-hop&to=${encodeURIComponent(unlisted)}`
        expect((await send(`${lab.apiOrigin}/redirect?id=${via}-hop1&to=${encodeURIComponent(viaApi)}`)).status, via).toBe(200)
        expect(lab.api.sends(`${via}-hop1`)[0]?.authorization, via).toMatch(/^Bearer /)
        expect(lab.other.sends(`${via}-redirected`), via).toHaveLength(1)

        const back = `${lab.apiOrigin}/echo?id=${via}-back`
        const viaOther = `${lab.otherOrigin}/redirect?id=${via}-other-hop&to=${encodeURIComponent(back)}`
        expect((await send(`${lab.apiOrigin}/redirect?id=${via}-first&to=${encodeURIComponent(viaOther)}`)).status, via).toBe(200)
        expect(lab.api.sends(`${via}-first`)[0]?.authorization, via).toMatch(/^Bearer /)
        expect(lab.api.sends(`${via}-back`), via).toHaveLength(1)
        expect(lab.api.sends(`${via}-back`)[0]?.authorization, via).toBeUndefined()
      }
      expect(lab.other.hits.length).toBeGreaterThanOrEqual(4)
      expect(lab.other.withToken()).toEqual([])
      // A 401 from the unlisted origin a redirect led to says nothing of the token: no refresh.
      lab.issuer.calls = 0
      const to = `${lab.otherOrigin}/always401?id=elsewhere`
      expect((await call(page, `${lab.apiOrigin}/redirect?id=hop401&to=${encodeURIComponent(to)}`)).status).toBe(401)
      expect(lab.other.sends('elsewhere')).toHaveLength(1)
      expect(lab.issuer.calls).toBe(0)
    })

    it('gives no token to unlisted origins, keeps an Authorization the page set itself, and sends none with no-cors', async () => {
      const page = await inPageTab()
      await call(page, `${lab.otherOrigin}/echo?id=other`)
      await xhr(page, `${lab.otherOrigin}/echo?id=other-x`)
      expect(lab.other.sends('other')).toHaveLength(1)
      expect(lab.other.sends('other-x')).toHaveLength(1)
      expect(lab.other.withToken()).toEqual([])

      await call(page, `${lab.apiOrigin}/echo?id=own`, { headers: { Authorization: 'Basic dTpw' } })
      await page.evaluate(
        (url) =>
          new Promise((resolve) => {
            const request = new XMLHttpRequest()
            request.open('GET', url)
            request.setRequestHeader('Authorization', 'Basic eHhyOnA=')
            request.onloadend = resolve
            request.send()
          }),
        `${lab.apiOrigin}/echo?id=own-x`,
      )
      expect(lab.api.sends('own')[0]?.authorization).toBe('Basic dTpw')
      expect(lab.api.sends('own-x')[0]?.authorization).toBe('Basic eHhyOnA=')

      await call(page, `${lab.apiOrigin}/echo?id=no-cors`, { mode: 'no-cors' })
      expect(lab.api.sends('no-cors')).toHaveLength(1)
      expect(lab.api.sends('no-cors')[0]?.authorization).toBeUndefined()
    })
  })

  describe('when the worker controls the page', () => {
    it('never patches anything: mode service-worker, the browser’s own fetch and XMLHttpRequest, the token from the worker', async () => {
      const page = await secureTab()
      expect(await register(page, { fallback: fallback() })).toMatchObject({ mode: 'service-worker', controlled: true })
      expect(await natives(page)).toEqual({ fetch: true, xhr: true })
      expect((await call(page, `${lab.apiOrigin}/echo?id=sw`)).status).toBe(200)
      expect(lab.api.sends('sw')[0]?.authorization).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(await events(page, 'modechange')).toEqual([])
    })
  })

  describe('two tabs in the page', () => {
    /**
     * Both tabs meet a 401 at once while the token endpoint takes 1 s (as a real one under load
     * may): how many provider calls that costs.
     */
    async function stormBoth(tabs: Tab[]): Promise<number> {
      lab.issuer.revokeAll()
      lab.issuer.calls = 0
      lab.issuer.delayMs = 1000
      for (const [t, tab] of tabs.entries()) await start(tab, ids(`tab${t}`, 20).map((id) => `${lab.apiOrigin}/auth?id=${id}`))
      const results = await Promise.all(tabs.map(collect))
      expect(results.flat().map((r) => r.status)).toEqual(Array(20 * tabs.length).fill(200))
      // Every tab met the 401 (each sent with the revoked token, then retried).
      for (const t of tabs.keys()) expect(ids(`tab${t}`, 20).some((id) => lab.api.sends(id).length === 2), `tab${t}`).toBe(true)
      lab.issuer.delayMs = 0
      return lab.issuer.calls
    }

    it('answer a 401 storm in both at once with one provider call (Web Locks), and a logout in one signs the other out', async () => {
      // Secure pages without service workers: navigator.locks is there.
      const context = await lab.context()
      const tabs: Tab[] = []
      for (let i = 0; i < 2; i++) {
        const tab = await context.newPage()
        await tab.goto(`${lab.pageOrigin}/`)
        await tab.waitForFunction(() => 'register' in window)
        await removeServiceWorkers(tab)
        expect(await tab.evaluate(() => typeof navigator.locks?.request)).toBe('function')
        expect(await register(tab, { fallback: fallback() })).toMatchObject({ mode: 'in-page' })
        tabs.push(tab)
      }
      expect(await stormBoth(tabs)).toBe(1)

      const [a, b] = tabs as [Tab, Tab]
      await a.evaluate(() => (window as any).session.logout())
      await b.waitForFunction(() => (window as any).session.hasToken === false, undefined, { timeout: 5000 })
      expect(await events(b, 'logout')).toHaveLength(1)
      expect((await call(b, `${lab.apiOrigin}/echo?id=after-logout`)).status).toBe(200)
      expect(lab.api.sends('after-logout')[0]?.authorization).toBeUndefined()
    })

    it('answer a 401 storm in both at once with one provider call on an insecure origin too, where there are no Web Locks', async () => {
      const context = await lab.context()
      const tabs = [await insecureTab(context), await insecureTab(context)]
      for (const tab of tabs) expect(await register(tab, { fallback: fallback() })).toMatchObject({ mode: 'in-page' })
      expect(await tabs[0]!.evaluate(() => typeof navigator.locks)).toBe('undefined')
      expect(await stormBoth(tabs)).toBe(1)

      const [a, b] = tabs as [Tab, Tab]
      await a.evaluate(() => (window as any).session.logout())
      await b.waitForFunction(() => (window as any).session.hasToken === false, undefined, { timeout: 5000 })
      expect((await call(b, `${lab.apiOrigin}/echo?id=after-logout`)).status).toBe(200)
      expect(lab.api.sends('after-logout')[0]?.authorization).toBeUndefined()
    })
  })

  describe('debug output', () => {
    const containsAToken = (text: string) => lab.issuer.issued.some((token) => text.includes(token))

    it('in the page, names the near miss (localhost listed, 127.0.0.1 called) and never prints a token', async () => {
      const listed = `http://localhost:${lab.api.port}`
      const page = await insecureTab()
      await page.evaluate(() => (window as any).captureConsole())
      await register(page, { fallback: { apiOrigins: [listed] }, debug: true })
      expect(await mode(page)).toBe('in-page')
      expect((await call(page, `http://127.0.0.1:${lab.api.port}/echo?id=near`)).status).toBe(200)
      expect(lab.api.sends('near')[0]?.authorization).toBeUndefined()
      expect(await page.evaluate(() => (window as any).decisions)).toContainEqual({
        kind: 'skipped',
        method: 'GET',
        url: `http://127.0.0.1:${lab.api.port}/echo`,
        reason: 'near-miss',
        nearMiss: listed,
      })
      // The listed origin gets the token, and a 401 there refreshes and retries: all reported.
      expect((await call(page, `${listed}/echo?id=listed`)).status).toBe(200)
      expect(lab.api.sends('listed')[0]?.authorization).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      lab.issuer.revokeAll()
      expect((await call(page, `${listed}/auth?id=listed-401&secret=query`)).status).toBe(200)
      const decisions = await page.evaluate(() => (window as any).decisions)
      expect(decisions).toEqual(
        expect.arrayContaining([
          { kind: 'injected', method: 'GET', url: `${listed}/echo` },
          { kind: 'refreshing', method: 'GET', url: `${listed}/auth` },
          { kind: 'retried', method: 'GET', url: `${listed}/auth`, status: 200 },
        ]),
      )
      const lines: string[] = await page.evaluate(() => (window as any).consoleLines)
      expect(lines.some((line) => line.startsWith('warn:') && line.includes(`127.0.0.1:${lab.api.port}`) && line.includes(listed))).toBe(true)
      expect(lab.issuer.issued.length).toBeGreaterThanOrEqual(2)
      expect(containsAToken(JSON.stringify(decisions))).toBe(false)
      expect(containsAToken(lines.join('\n'))).toBe(false)
      expect(JSON.stringify(decisions) + lines.join('\n')).not.toContain('secret=query')
    })

    it('says nothing without debug in a production build (the lab builds for production)', async () => {
      const listed = `http://localhost:${lab.api.port}`
      const page = await insecureTab()
      await page.evaluate(() => (window as any).captureConsole())
      await register(page, { fallback: { apiOrigins: [listed] } })
      expect(await mode(page)).toBe('in-page')
      await call(page, `http://127.0.0.1:${lab.api.port}/echo?id=near`)
      await call(page, `${listed}/echo?id=listed`)
      expect(lab.api.sends('listed')[0]?.authorization).toMatch(/^Bearer /)
      expect(await page.evaluate(() => (window as any).decisions)).toEqual([])
      expect(await page.evaluate(() => (window as any).consoleLines)).toEqual([])
    })

    it('from the worker (installTokenInjection debug), names the same near miss to the page', async () => {
      const listed = `http://localhost:${lab.api.port}`
      lab.swOptions = { apiOrigins: [listed], debug: true }
      const page = await secureTab()
      await page.evaluate(() => (window as any).captureConsole())
      expect(await register(page, {})).toMatchObject({ mode: 'service-worker', controlled: true })
      expect((await call(page, `http://127.0.0.1:${lab.api.port}/echo?id=near`)).status).toBe(200)
      expect(lab.api.sends('near')[0]?.authorization).toBeUndefined()
      const nearMiss = { kind: 'skipped', method: 'GET', url: `http://127.0.0.1:${lab.api.port}/echo`, reason: 'near-miss', nearMiss: listed }
      // The worker's message travels on its own: wait for it rather than race it.
      await page.waitForFunction((port) => (window as any).decisions.some((d: any) => d.reason === 'near-miss' && d.url.includes(`:${port}/`)), lab.api.port, { timeout: 5000 }).catch(() => {})
      expect(await page.evaluate(() => (window as any).decisions)).toContainEqual(nearMiss)
      expect((await call(page, `${listed}/echo?id=listed`)).status).toBe(200)
      expect(lab.api.sends('listed')[0]?.authorization).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      await page.waitForFunction(() => (window as any).decisions.some((d: any) => d.kind === 'injected'), undefined, { timeout: 5000 }).catch(() => {})
      const decisions = await page.evaluate(() => (window as any).decisions)
      expect(decisions).toContainEqual({ kind: 'injected', method: 'GET', url: `${listed}/echo` })
      const lines: string[] = await page.evaluate(() => (window as any).consoleLines)
      expect(containsAToken(JSON.stringify(decisions) + lines.join('\n'))).toBe(false)
    })
  })

  describe('inspect()', () => {
    const unlisted = 'http://elsewhere.sw-bearer.test/data'
    it('in service-worker mode says controlled, and which URLs get the token and why not', async () => {
      const page = await secureTab()
      await register(page, { fallback: fallback() })
      expect(await inspect(page)).toEqual({ mode: 'service-worker', controlled: true, hasToken: true, workerError: null })
      expect((await inspect(page, `${lab.apiOrigin}/echo`)).request).toEqual({ url: `${lab.apiOrigin}/echo`, getsToken: true })
      expect((await inspect(page, unlisted)).request).toEqual({ url: unlisted, getsToken: false, reason: 'not-listed' })
      // The lab's other API differs from the listed one by its port only: a near miss, named.
      expect((await inspect(page, `${lab.otherOrigin}/echo`)).request).toEqual({ url: `${lab.otherOrigin}/echo`, getsToken: false, reason: 'near-miss', nearMiss: lab.apiOrigin })
    })

    it('in in-page mode says uncontrolled, why the worker could not run, and which URLs get the token', async () => {
      const page = await insecureTab()
      await register(page, { fallback: fallback() })
      const inspection = await inspect(page, `${lab.apiOrigin}/echo`)
      expect(inspection).toMatchObject({ mode: 'in-page', controlled: false, hasToken: true, workerError: { name: 'SwBearerError', code: 'unsupported' } })
      expect(inspection.request).toEqual({ url: `${lab.apiOrigin}/echo`, getsToken: true })
      expect((await inspect(page, unlisted)).request).toEqual({ url: unlisted, getsToken: false, reason: 'not-listed' })
      // The lab's other API differs from the listed one by its port only: a near miss, named.
      expect((await inspect(page, `${lab.otherOrigin}/echo`)).request).toEqual({ url: `${lab.otherOrigin}/echo`, getsToken: false, reason: 'near-miss', nearMiss: lab.apiOrigin })
    })
  })
})
