import { describe, expect, it } from 'vitest'
import { engines, type Tab } from './harness/engines/index.js'
import { call, collect, events, start } from './harness/page.js'
import { itNeeds } from './harness/gaps.js'
import { useLab } from './harness/useLab.js'

describe.each(engines)('%s', (engine) => {
  // The real back/forward cache: playwright-core disables Chromium's unless told otherwise.
  const lab = useLab({ engine, bfcache: true })

  /** Leaves for another page of the app and comes back with Back; true if the page was frozen, not reloaded. */
  async function awayAndBack(page: Tab, whileAway: () => Promise<void>): Promise<boolean> {
    await page.evaluate(() => ((window as any).frozenMarker = true))
    await page.goto(`${lab.pageOrigin}/elsewhere/`)
    await whileAway()
    // A restore from the bfcache fires no load event: wait for the commit only.
    await page.goBack({ waitUntil: 'commit' })
    await page.waitForFunction(() => 'register' in window)
    return page.evaluate(() => (window as any).frozenMarker === true)
  }

  describe('the back/forward cache', () => {
    it('a tab restored after another tab logged out says so: logout event, hasToken false, no token sent', async () => {
      const [a, b] = await lab.signedInTabs(2)
      const restored = await awayAndBack(a!, () => b!.evaluate(() => (window as any).session.logout()))
      expect(restored).toBe(true) // really from the bfcache, or this test proves nothing
      await expect.poll(() => events(a!, 'logout')).toHaveLength(1)
      expect(await a!.evaluate(() => (window as any).session.hasToken)).toBe(false)
      expect(await a!.evaluate(() => (window as any).session.claims)).toBeNull()
      expect(await lab.authorizationSeen(a!, 'after-restore')).toBeNull()
    })

    it('a tab restored after the token changed meanwhile fires tokenchange with the new claims', async () => {
      const [a, b] = await lab.signedInTabs(2)
      const before = await a!.evaluate(() => (window as any).session.claims.jti)
      const restored = await awayAndBack(a!, async () => {
        await b!.evaluate(() => (window as any).session.refresh())
      })
      expect(restored).toBe(true)
      const fresh = await b!.evaluate(() => (window as any).session.claims.jti)
      expect(fresh).not.toBe(before)
      await expect.poll(() => a!.evaluate(() => (window as any).session.claims?.jti)).toBe(fresh)
      expect((await events(a!, 'tokenchange')).at(-1)?.claims?.jti).toBe(fresh)
      expect((await call(a!, `${lab.apiOrigin}/auth?id=restored`)).status).toBe(200)
    })
  })

  describe('lost storage', () => {
    /** What DevTools' "Clear storage", the user clearing site data or Clear-Site-Data do. */
    const clearSiteData = (page: Tab, what: 'indexeddb' | 'all') => lab.engine.clearSiteData(page, lab.pageOrigin, what)
    const hasToken = (page: Tab): Promise<boolean> => page.evaluate(() => (window as any).session.hasToken)
    const calls = async (pages: Tab[]) => (await Promise.all(pages.map((p) => p.evaluate(() => (window as any).providerCalls)))).reduce((a, b) => a + b, 0)

    itNeeds(lab, engine, ['clearSiteData', 'stopWorkersInPlace'], 'IndexedDB cleared, then the worker restarts: the next request gets a token through the single flight, every tab stays signed in', async () => {
      const tabs = await lab.signedInTabs(2)
      await clearSiteData(tabs[0]!, 'indexeddb')
      await lab.stopWorkers(tabs[0]!)
      const before = await calls(tabs)
      for (const [i, tab] of tabs.entries()) await start(tab, [`${lab.apiOrigin}/auth?id=after-clear-${i}`])
      const results = (await Promise.all(tabs.map(collect))).flat()
      expect(results.map((r) => r.status)).toEqual([200, 200])
      expect((await calls(tabs)) - before).toBe(1)
      for (const tab of tabs) expect(await hasToken(tab)).toBe(true)
      expect(lab.api.sends('after-clear-0')).toHaveLength(1) // asked before sending: no 401 first
    })

    itNeeds(lab, engine, ['clearSiteData', 'stopWorkersInPlace'], 'IndexedDB cleared, the worker restarts, and the SDK says nobody is signed in: every tab signs out', async () => {
      const tabs = await lab.signedInTabs(2)
      await clearSiteData(tabs[0]!, 'indexeddb')
      await lab.stopWorkers(tabs[0]!)
      lab.issuer.mode = 'null'
      expect((await call(tabs[0]!, `${lab.apiOrigin}/auth?id=signed-out`)).status).toBe(401)
      for (const tab of tabs) {
        await expect.poll(() => events(tab, 'logout')).toHaveLength(1)
        expect(await hasToken(tab)).toBe(false)
      }
    })

    itNeeds(lab, engine, 'clearSiteData', 'site data cleared with the worker itself: setToken registers again instead of failing, and the token is sent', async () => {
      const [page] = await lab.signedInTabs(1)
      await clearSiteData(page!, 'all')
      const token = await lab.issuer.mint()
      expect(await page!.evaluate((t) => (window as any).swError((window as any).session.setToken(t)), token)).toBeNull()
      expect(await lab.authorizationSeen(page!, 'after-reregister')).toBe(`Bearer ${token}`)
    })

    itNeeds(lab, engine, 'clearSiteData', 'site data cleared with the worker itself: the next plain fetch carries a token again, with no call from the app', async () => {
      const tabs = await lab.signedInTabs(2)
      await clearSiteData(tabs[0]!, 'all')
      // The pages re-register on losing control; the new worker asks a tab's SDK for the token.
      await expect.poll(async () => (await call(tabs[0]!, `${lab.apiOrigin}/auth?id=recovered-${Date.now()}`)).status).toBe(200)
      for (const tab of tabs) {
        expect(await hasToken(tab)).toBe(true)
        expect(await tab.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true)
      }
    })

    it('a stalled IndexedDB (an upgrade another connection blocks) delays a token change by its bound, never holds requests', async () => {
      const [page] = await lab.signedInTabs(1)
      // A same-origin connection that ignores versionchange, and an upgrade queued behind it.
      await page!.evaluate(async () => {
        const name = `sw-bearer ${(await navigator.serviceWorker.getRegistration())!.scope}`
        const first = await new Promise<IDBDatabase>((resolve) => (indexedDB.open(name).onsuccess = (e) => resolve((e.target as IDBOpenDBRequest).result)))
        ;(window as any).held = first
        indexedDB.open(name, 50)
      })
      lab.issuer.revokeAll()
      expect((await call(page!, `${lab.apiOrigin}/auth?id=stalled`)).status).toBe(200)
      await expect.poll(() => events(page!, 'error')).toContainEqual({ type: 'error', code: 'storage-failed', claims: undefined })
      expect((await call(page!, `${lab.apiOrigin}/echo?id=stalled-after`)).status).toBe(200)
    })

    it('a write IndexedDB refuses is an error event (storage-failed), and the token is still used', async () => {
      const [page] = await lab.signedInTabs(1)
      // Another version of the database without its stores: the worker's next write fails.
      await page!.evaluate(async () => {
        const name = `sw-bearer ${(await navigator.serviceWorker.getRegistration())!.scope}`
        await new Promise<void>((resolve, reject) => {
          const open = indexedDB.open(name, 99)
          open.onupgradeneeded = () => {
            for (const store of [...open.result.objectStoreNames]) open.result.deleteObjectStore(store)
          }
          open.onsuccess = () => (open.result.close(), resolve())
          open.onerror = () => reject(open.error)
        })
      })
      const token = await lab.issuer.mint()
      await page!.evaluate((t) => (window as any).session.setToken(t), token)
      await expect.poll(() => events(page!, 'error')).toEqual([{ type: 'error', code: 'storage-failed', claims: undefined }])
      expect(await lab.authorizationSeen(page!, 'in-memory')).toBe(`Bearer ${token}`)
    })
  })

  describe('a deploy during a refresh', () => {
    /** Ships a new worker script and waits until it controls `page`. */
    async function deploy(page: Tab): Promise<void> {
      lab.swVersion++
      await page.evaluate(async () => {
        const registration = (await navigator.serviceWorker.getRegistration())!
        const changed = new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }))
        await registration.update()
        await changed
      })
    }

    it('one revocation costs one provider call across the deploy, and the new worker sends the newest token', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 20_000 }
      const tabs = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 4000 // the old worker's refresh, run by tab 0, is still under way after the deploy
      const calls = lab.issuer.calls
      await start(tabs[0]!, [`${lab.apiOrigin}/auth?id=before-deploy`])
      await lab.issuer.whenCalled(calls + 1)
      await deploy(tabs[1]!)
      // Tab 1's 401 reaches the new worker, which would ask tab 1, whose SDK is not busy.
      const during = await call(tabs[1]!, `${lab.apiOrigin}/auth?id=during`)
      // Whole results, so a network failure shows its error.
      expect((await collect(tabs[0]!))[0]).toMatchObject({ status: 200 })
      expect(during).toMatchObject({ status: 200 })
      expect(lab.issuer.calls - calls).toBe(1)
      const newest = lab.issuer.issued.at(-1)
      for (const [i, tab] of tabs.entries()) expect(await lab.authorizationSeen(tab, `after-${i}`)).toBe(`Bearer ${newest}`)
    })

    it("a new worker in control while the old one finishes a refresh sends the old one's new token at once", async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 20_000 }
      const tabs = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 3000
      const calls = lab.issuer.calls
      await start(tabs[0]!, [`${lab.apiOrigin}/auth?id=before-deploy`])
      await lab.issuer.whenCalled(calls + 1)
      await deploy(tabs[1]!)
      expect((await collect(tabs[0]!))[0]).toMatchObject({ status: 200 }) // the old worker stored the new token
      const newest = lab.issuer.issued.at(-1)
      await expect.poll(async () => (await lab.authorizationSeen(tabs[1]!, `new-worker-${Date.now()}`)) === `Bearer ${newest}`).toBe(true)
      expect(lab.api.hits.filter((h) => h.authorization !== undefined && h.authorization !== `Bearer ${newest}` && h.id?.startsWith('new-worker'))).toEqual([])
      expect(lab.issuer.calls - calls).toBe(1)
    })

    it('an API answer still arriving when a new worker takes over arrives whole (WebKit and Firefox cut it otherwise)', async () => {
      const [page] = await lab.signedInTabs(1)
      const hits = lab.api.hits.length
      await start(page!, [`${lab.apiOrigin}/trickle?ms=2000&id=streaming`])
      // Its headers are in: the old worker's fetch event would be over, only the body is to come.
      await expect.poll(() => lab.api.hits.slice(hits).some((h) => h.id === 'streaming')).toBe(true)
      await deploy(page!)
      expect((await collect(page!))[0]).toMatchObject({ status: 200, body: 'first part;last part' })
    })

    it('a refresh lock held for good (a page script of the origin took it) delays a refresh, never holds it', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 1000 }
      const [page] = await lab.signedInTabs(1)
      await page!.evaluate(async () => {
        const scope = (await navigator.serviceWorker.getRegistration())!.scope
        void navigator.locks.request(`sw-bearer refresh ${scope}`, () => new Promise(() => {}))
      })
      lab.issuer.revokeAll()
      expect((await call(page!, `${lab.apiOrigin}/auth?id=lock-held`)).status).toBe(200)
    })

    it('a worker deployed after a refresh finished never sends the token that refresh replaced', async () => {
      const [page] = await lab.signedInTabs(1)
      lab.issuer.revokeAll()
      expect((await call(page!, `${lab.apiOrigin}/auth?id=refreshed`)).status).toBe(200)
      const calls = lab.issuer.calls
      await deploy(page!)
      expect(await lab.authorizationSeen(page!, 'new-version')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(lab.issuer.calls).toBe(calls)
    })
  })
})
