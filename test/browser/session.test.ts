import { describe, expect, it } from 'vitest'
import { engines, type Tab } from './harness/engines/index.js'
import { call, providerCalls, storeBehindWorker } from './harness/page.js'
import { itNeeds } from './harness/gaps.js'
import { useLab } from './harness/useLab.js'

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  const swError = (page: Tab, script: string) =>
    page.evaluate((source) => (window as any).swError(new Function(`return ${source}`)()), script)

  describe('registerTokenServiceWorker', () => {
    it('resolves controlled, with claims, and the very next fetch is injected', async () => {
      const page = await lab.tab(await lab.context())
      const { claims, controlled } = await page.evaluate(() => (window as any).register())
      expect(controlled).toBe(true)
      expect(claims).toMatchObject({ sub: 'user-1', iss: 'test-issuer' })
      expect(await lab.authorizationSeen(page, 'first')).toBe(`Bearer ${lab.issuer.issued[0]}`)
    })

    it('starts logged out when getAccessToken returns null', async () => {
      lab.issuer.mode = 'null'
      const page = await lab.tab(await lab.context())
      const { claims } = await page.evaluate(() => (window as any).register())
      expect(claims).toBeNull()
      expect(await page.evaluate(() => (window as any).session.hasToken)).toBe(false)
      expect(await lab.authorizationSeen(page, 'anon')).toBeNull()
    })

    /** A second tab registers while the provider misbehaves; the first one stored a token. */
    async function registerWhileProvider(mode: 'throw' | 'hang') {
      const context = await lab.context()
      await lab.signedInTab(context)
      const stored = lab.issuer.issued[0]
      lab.issuer.mode = mode
      const page = await lab.tab(context)
      const started = Date.now()
      const { claims } = await page.evaluate(() => (window as any).register())
      return { page, stored, claims, ms: Date.now() - started }
    }

    it('still resolves when getAccessToken throws, keeps the stored token and reports an error event', async () => {
      const { page, stored, claims } = await registerWhileProvider('throw')
      expect(claims).toMatchObject({ sub: 'user-1' })
      await page.waitForFunction(() => (window as any).events.some((e: any) => e.type === 'error'))
      expect(await page.evaluate(() => (window as any).events)).toContainEqual({ type: 'error', code: 'provider-failed' })
      expect(await lab.authorizationSeen(page, 'kept')).toBe(`Bearer ${stored}`)
    })

    it("still resolves when getAccessToken hangs: gives up after the worker's refreshTimeoutMs, keeps the stored token, reports a timeout", async () => {
      const { page, stored, claims, ms } = await registerWhileProvider('hang')
      expect(ms).toBeGreaterThanOrEqual(lab.swOptions.refreshTimeoutMs! - 100)
      expect(claims).toMatchObject({ sub: 'user-1' })
      await page.waitForFunction(() => (window as any).events.some((e: any) => e.type === 'error'))
      expect(await page.evaluate(() => (window as any).events)).toContainEqual({ type: 'error', code: 'timeout' })
      expect(await lab.authorizationSeen(page, 'kept')).toBe(`Bearer ${stored}`)
      // The stuck call is abandoned: a later refresh asks the SDK again rather than join it.
      lab.issuer.mode = 'ok'
      const calls = await providerCalls(page)
      expect(await page.evaluate(() => (window as any).session.refresh())).toBe(lab.issuer.issued.at(-1))
      expect(await providerCalls(page)).toBe(calls + 1)
    }, 30_000)

    it('calls getAccessToken again after it threw synchronously (signed out, as auth.currentUser.getIdToken() does)', async () => {
      const page = await lab.tab(await lab.context())
      const result = await page.evaluate(async () => {
        const w = window as any
        let signedIn = false
        let calls = 0
        const getAccessToken = () => {
          calls++
          if (!signedIn) throw new TypeError("Cannot read properties of null (reading 'getIdToken')")
          return fetch('/token').then((r) => r.json()).then((b) => b.token)
        }
        const session = await w.lib.registerTokenServiceWorker({ scriptURL: '/sw.js', type: 'module', getAccessToken })
        const first = await w.swError(session.refresh())
        signedIn = true
        const token = await session.refresh()
        return { first: first?.code, token, calls, hasToken: session.hasToken }
      })
      expect(result).toEqual({ first: 'provider-failed', token: lab.issuer.issued.at(-1), calls: 3, hasToken: true })
    })

    it('answers each refresh request once when the app registers twice in one tab (StrictMode effects)', async () => {
      const page = await lab.signedInTab(await lab.context())
      await page.evaluate(() => (window as any).register())
      lab.issuer.revokeAll()
      const before = await providerCalls(page)
      expect((await call(page, `${lab.apiOrigin}/auth?id=twice`)).status).toBe(200)
      expect(await providerCalls(page)).toBe(before + 1)
    })

    it('rejects with registration-failed when the script cannot be registered', async () => {
      const page = await lab.tab(await lab.context())
      const error = await swError(page, `window.register({ scriptURL: '/no-such-worker.js' })`)
      expect(error).toMatchObject({ name: 'SwBearerError', code: 'registration-failed' })
    })

    it('rejects with registration-failed, saying why, when the registered worker does not run sw-bearer', async () => {
      for (const scriptURL of ['/plain-sw.js', '/plain-sw.js?claim']) {
        const page = await lab.tab(await lab.context())
        const error = await swError(page, `window.register({ scriptURL: '${scriptURL}' })`)
        // Not the 30 s "did not control this page": the worker never answered as sw-bearer.
        expect(error, scriptURL).toMatchObject({ name: 'SwBearerError', code: 'registration-failed', message: expect.stringContaining('installTokenInjection') })
      }
    })

    it('rejects bad options with invalid-options', async () => {
      const page = await lab.tab(await lab.context())
      for (const options of [
        `{}`,
        `{ scriptURL: '/sw.js', getAccessToken: 'token' }`,
        `{ scriptURL: 42, getAccessToken: async () => null }`,
        `{ scriptURL: '/sw.js', type: 'bogus', getAccessToken: async () => null }`,
        `{ scriptURL: '/sw.js', scope: 7, getAccessToken: async () => null }`,
      ]) {
        const error = await swError(page, `window.lib.registerTokenServiceWorker(${options})`)
        expect(error, options).toMatchObject({ name: 'SwBearerError', code: 'invalid-options' })
      }
    })

    it('rejects with registration-failed when the worker script configures an origin that is not bare', async () => {
      lab.swOptions = { apiOrigins: [`${lab.apiOrigin}/v1`] }
      const page = await lab.tab(await lab.context())
      expect(await swError(page, 'window.register()')).toMatchObject({ name: 'SwBearerError', code: 'registration-failed' })
    })

    it('rejects with registration-failed at once when this page is outside the scope', async () => {
      const page = await lab.tab(await lab.context())
      const started = Date.now()
      const error = await swError(page, `window.register({ scope: '/elsewhere/' })`)
      expect(error).toMatchObject({ name: 'SwBearerError', code: 'registration-failed' })
      expect(Date.now() - started).toBeLessThan(10_000)
    })

    it('rejects with unsupported where service workers are unavailable (an insecure origin)', async () => {
      const page = await (await lab.context()).newPage()
      await page.goto(`http://page.sw-bearer.test:${lab.pageServer.port}/`)
      await page.waitForFunction(() => 'register' in window)
      expect(await swError(page, 'window.register()')).toMatchObject({ name: 'SwBearerError', code: 'unsupported' })
    })

    itNeeds(lab, engine, 'hardReload', 'injects again after a hard reload, which leaves the page uncontrolled', async () => {
      const page = await lab.signedInTab(await lab.context())
      await lab.engine.hardReload(page)
      await page.waitForFunction(() => 'register' in window)
      expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(false)
      const { controlled } = await page.evaluate(() => (window as any).register())
      expect(controlled).toBe(true)
      expect(await lab.authorizationSeen(page, 'after-reload')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
    })
  })

  describe('persistence', () => {
    itNeeds(lab, engine, 'stopWorkersInPlace', 'still injects after the browser stopped the worker (token read back from IndexedDB)', async () => {
      const page = await lab.signedInTab(await lab.context())
      await lab.stopWorkers(page)
      expect(await lab.authorizationSeen(page, 'cold')).toBe(`Bearer ${lab.issuer.issued[0]}`)
      await lab.stopWorkers(page)
      await page.evaluate(() => (window as any).session.setToken('opaque-after-restart'))
      await lab.stopWorkers(page)
      expect(await lab.authorizationSeen(page, 'cold-2')).toBe('Bearer opaque-after-restart')
    })

    it('a token handed over with setToken survives a worker restart with every page away', async () => {
      const page = await lab.signedInTab(await lab.context())
      await page.evaluate(() => (window as any).session.setToken('opaque-after-restart'))
      await lab.restartWorkerAway(page)
      expect(await lab.authorizationSeen(page, 'cold-2')).toBe('Bearer opaque-after-restart')
    })

    it('a worker the browser stopped while every page of the origin was away reads its token back from IndexedDB', async () => {
      const page = await lab.signedInTab(await lab.context())
      const stored = await lab.issuer.mint()
      await storeBehindWorker(page, stored)
      await lab.restartWorkerAway(page)
      // Before the app registers: the worker alone, as it starts, with what IndexedDB holds.
      expect(await lab.authorizationSeen(page, 'after-away')).toBe(`Bearer ${stored}`)
    })

    it('serves a token set in one tab to every tab', async () => {
      const context = await lab.context()
      const [a, b] = [await lab.signedInTab(context), await lab.signedInTab(context)]
      await a.evaluate(() => (window as any).session.setToken('set-in-tab-a'))
      expect(await lab.authorizationSeen(b, 'in-b')).toBe('Bearer set-in-tab-a')
    })
  })

  describe('TokenSession', () => {
    it('fires tokenchange with the new claims, and logout, in every tab', async () => {
      const context = await lab.context()
      const [a, b] = [await lab.signedInTab(context), await lab.signedInTab(context)]
      const jwt = await lab.issuer.mint()
      await a.evaluate((token) => (window as any).session.setToken(token), jwt)
      await b.waitForFunction(() => (window as any).events.some((e: any) => e.type === 'tokenchange'))
      const sid = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()).sid
      for (const tab of [a, b]) {
        expect(await tab.evaluate(() => (window as any).session.claims.sid)).toBe(sid)
        expect(await tab.evaluate(() => (window as any).events.filter((e: any) => e.type === 'tokenchange').at(-1).claims.sid)).toBe(sid)
      }
      await b.evaluate(() => (window as any).session.logout())
      for (const tab of [a, b]) {
        await tab.waitForFunction(() => (window as any).events.some((e: any) => e.type === 'logout'))
        expect(await tab.evaluate(() => (window as any).session.claims)).toBeNull()
      }
      expect(await lab.authorizationSeen(a, 'after-logout')).toBeNull()
    })

    it('logout() resolves after memory and IndexedDB are cleared: a restarted worker sends nothing', async () => {
      const page = await lab.signedInTab(await lab.context())
      await page.evaluate(() => (window as any).session.logout())
      await lab.restartWorkerAway(page)
      expect(await lab.authorizationSeen(page, 'cold-after-logout')).toBeNull()
    })

    it('works with opaque tokens: injected as they are, claims null', async () => {
      lab.issuer.mode = 'opaque'
      const page = await lab.tab(await lab.context())
      const { claims } = await page.evaluate(() => (window as any).register())
      expect(claims).toBeNull()
      expect(await page.evaluate(() => (window as any).session.hasToken)).toBe(true)
      expect(await lab.authorizationSeen(page, 'opaque')).toBe(`Bearer ${lab.issuer.issued[0]}`)
    })

    it('refresh() calls getAccessToken now and hands the new token over', async () => {
      const page = await lab.signedInTab(await lab.context())
      const before = await page.evaluate(() => (window as any).providerCalls)
      const token = await page.evaluate(() => (window as any).session.refresh())
      expect(await page.evaluate(() => (window as any).providerCalls)).toBe(before + 1)
      expect(token).toBe(lab.issuer.issued.at(-1))
      expect(await lab.authorizationSeen(page, 'refreshed')).toBe(`Bearer ${token}`)
    })
  })

  describe('bad input', () => {
    const hostile = ['', 'a\r\nX-Evil: 1', 'a\nb', 'a\u0000b', 'tökén', 'a b', 'x'.repeat(64 * 1024)]

    it('setToken rejects invalid header values with invalid-token and stores nothing', async () => {
      const page = await lab.signedInTab(await lab.context())
      for (const token of hostile) {
        const error = await page.evaluate((t) => (window as any).swError((window as any).session.setToken(t)), token)
        expect(error, JSON.stringify(token.slice(0, 20))).toMatchObject({ name: 'SwBearerError', code: 'invalid-token' })
        expect(error.message).not.toContain(token.slice(0, 8) || '\u0000\u0000')
      }
      await lab.restartWorkerAway(page)
      expect(await lab.authorizationSeen(page, 'unchanged')).toBe(`Bearer ${lab.issuer.issued[0]}`)
    })

    it('the worker ignores malformed and hostile messages and keeps injecting the same token', async () => {
      const page = await lab.signedInTab(await lab.context())
      const replies = await page.evaluate(async (tokens) => {
        const worker = navigator.serviceWorker.controller!
        const garbage: unknown[] = [
          null, 42, 'set-token', [], {}, { type: 'set-token', token: 'no-envelope' },
          { protocol: 'sw-bearer', v: 2, type: 'set-token', token: 'future-version' },
          { protocol: 'sw-bearer', v: 1, type: 'set-token', token: 12 },
          { protocol: 'sw-bearer', v: 1, type: 'set-origins', origins: ['http://evil.test'] },
          { protocol: 'sw-bearer', v: 1, type: 'logout-everyone' },
          ...tokens.map((token) => ({ protocol: 'sw-bearer', v: 1, type: 'set-token', token })),
        ]
        const answers: unknown[] = []
        for (const message of garbage) {
          const { port1, port2 } = new MessageChannel()
          const answered = new Promise((resolve) => {
            port1.onmessage = (event) => resolve(event.data)
            setTimeout(() => resolve('no reply'), 300)
          })
          worker.postMessage(message, [port2])
          answers.push(await answered)
        }
        return answers
      }, hostile)
      // Hostile tokens in a well-formed message get a coded refusal; everything else, silence.
      expect(replies.slice(0, 10)).toEqual(Array(10).fill('no reply'))
      for (const reply of replies.slice(10)) expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-token' } })
      expect(await lab.authorizationSeen(page, 'still')).toBe(`Bearer ${lab.issuer.issued[0]}`)
      expect(lab.other.hits).toEqual([])
    })
  })
})
