import { engines, type Tab } from './harness/engines/index.js'
import { describe, expect, it } from 'vitest'
import { call, events, providerCalls, sleep, storm } from './harness/page.js'
import { useLab } from './harness/useLab.js'

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  type Context = { reason: string; forceRefresh: boolean }
  const contexts = (page: Tab): Promise<Context[]> => page.evaluate(() => (window as any).contexts)
  const hasToken = (page: Tab): Promise<boolean> => page.evaluate(() => (window as any).session.hasToken)
  /** Starts every tab's registration before awaiting any, so they overlap in every engine. */
  async function registerAtOnce(tabs: Tab[]): Promise<void> {
    for (const tab of tabs) await tab.evaluate(() => void ((window as any).registering = (window as any).register()))
    await Promise.all(tabs.map((tab) => tab.evaluate(() => (window as any).registering)))
  }

  /** Registers and measures it, from the call to the resolved session. */
  async function timedRegister(page: Tab): Promise<number> {
    return page.evaluate(async () => {
      const started = performance.now()
      await (window as any).register()
      return performance.now() - started
    })
  }

  describe('the getter learns why it is called', () => {
    it('startup takes the SDK cache while the held token is good; a 401, expiry and refresh() force a new token', async () => {
      const context = await lab.context()
      const a = await lab.signedInTab(context)
      const b = await lab.signedInTab(context)
      expect(await contexts(a)).toEqual([{ reason: 'startup', forceRefresh: false }])
      expect(await contexts(b)).toEqual([{ reason: 'startup', forceRefresh: false }])
      expect(lab.issuer.mints).toBe(1) // the second tab's startup was the SDK's cache

      lab.issuer.revokeAll()
      expect((await call(a, `${lab.apiOrigin}/auth?id=after-revoke`)).status).toBe(200)
      expect((await contexts(a)).at(-1)).toEqual({ reason: 'unauthorized', forceRefresh: true })
      expect(lab.issuer.mints).toBe(2)

      await b.evaluate(() => (window as any).session.refresh())
      expect((await contexts(b)).at(-1)).toEqual({ reason: 'manual', forceRefresh: true })

      lab.issuer.lifetimeSeconds = 20 // inside the 30 s leeway
      await b.evaluate(() => (window as any).session.refresh())
      lab.issuer.lifetimeSeconds = 3600
      expect((await call(a, `${lab.apiOrigin}/auth?id=expiring`)).status).toBe(200)
      const all = [...(await contexts(a)), ...(await contexts(b))]
      expect(all).toContainEqual({ reason: 'expiring', forceRefresh: true })
    })

    it('a 401 with an SDK that hands back its cache unless forced: one forced call, one retry, 200', async () => {
      const [page] = await lab.signedInTabs(1)
      lab.issuer.revokeAll()
      const before = await providerCalls(page!)
      expect((await call(page!, `${lab.apiOrigin}/auth?id=revoked`)).status).toBe(200)
      expect(await providerCalls(page!)).toBe(before + 1)
      expect(lab.api.sends('revoked')).toHaveLength(2)
      expect(await events(page!, 'error')).toEqual([])
    })

    it('fires stale-token in the tab whose SDK handed back the very token the API refused', async () => {
      const [page] = await lab.signedInTabs(1)
      lab.issuer.mode = 'same' // ignores forceRefresh
      lab.issuer.revokeAll()
      expect((await call(page!, `${lab.apiOrigin}/auth?id=stale`)).status).toBe(401)
      await expect.poll(() => events(page!, 'error')).toEqual([{ type: 'error', code: 'stale-token', claims: undefined }])
      expect(await hasToken(page!)).toBe(true)
    })
  })

  describe('every provider call goes through the single flight', () => {
    it('four tabs registering at once make one provider call, and every tab is signed in', async () => {
      const context = await lab.context()
      const tabs = await Promise.all([0, 1, 2, 3].map(() => lab.tab(context)))
      lab.issuer.delayMs = 300 // an SDK's network round trip: the four overlap
      lab.issuer.caches = false // the worst case: an SDK with nothing cached in any tab
      await registerAtOnce(tabs)
      expect(lab.issuer.calls).toBe(1)
      for (const tab of tabs) expect(await hasToken(tab)).toBe(true)
    })

    it('four tabs restored at once with a stored token that is due: one forced call, every tab on the new token', async () => {
      const context = await lab.context()
      lab.issuer.lifetimeSeconds = 20 // inside the 30 s leeway
      const first = await lab.signedInTab(context)
      await first.close()
      lab.issuer.lifetimeSeconds = 3600
      lab.issuer.delayMs = 300
      const calls = lab.issuer.calls
      const tabs = await Promise.all([0, 1, 2, 3].map(() => lab.tab(context)))
      await registerAtOnce(tabs)
      expect(lab.issuer.calls - calls).toBe(1)
      const fresh = lab.issuer.issued.at(-1)
      for (const [i, tab] of tabs.entries()) expect(await lab.authorizationSeen(tab, `restored-${i}`)).toBe(`Bearer ${fresh}`)
    })

    it('one tab, a JWT inside the leeway, 10 fetches at once: one provider call, none sent with the expiring token', async () => {
      lab.issuer.lifetimeSeconds = 20
      const [page] = await lab.signedInTabs(1)
      const expiring = lab.issuer.issued.at(-1)
      lab.issuer.lifetimeSeconds = 3600
      const calls = await providerCalls(page!)
      const ids = Array.from({ length: 10 }, (_, i) => `burst-${i}`)
      const results = await storm(page!, ids.map((id) => `${lab.apiOrigin}/echo?id=${id}`))
      expect(results.every((r) => r.status === 200)).toBe(true)
      expect(await providerCalls(page!)).toBe(calls + 1)
      const fresh = lab.issuer.issued.at(-1)
      expect(fresh).not.toBe(expiring)
      for (const id of ids) expect(lab.api.sends(id).map((h) => h.authorization)).toEqual([`Bearer ${fresh}`])
    })
  })

  describe("the SDK's own token traffic on a listed origin", () => {
    /**
     * One tab holding an expired JWT (the morning after) reloads: its startup refresh must
     * ask this very tab, whose SDK then calls a listed origin for the token.
     */
    async function reloadWithExpiredToken(route: { url: string; form: boolean; worker?: boolean }) {
      lab.issuer.mode = 'expired'
      const [page] = await lab.signedInTabs(1)
      lab.issuer.mode = 'ok'
      await page!.reload()
      await page!.waitForFunction(() => 'register' in window)
      await page!.evaluate((r) => ((window as any).tokenRoute = r), route)
      const ms = await timedRegister(page!)
      return { page: page!, ms }
    }

    it('an OAuth token request to the API origin goes at once, without the token it replaces', async () => {
      lab.api.issue = (force) => lab.issuer.answer(force)
      const { page, ms } = await reloadWithExpiredToken({ url: `${lab.apiOrigin}/oauth/token`, form: true })
      console.log(`expired-JWT startup, OAuth form POST on the API origin: registration ${ms.toFixed(0)} ms`)
      expect(await events(page, 'error')).toEqual([])
      expect(lab.api.hits.filter((h) => h.path === '/oauth/token' && h.method === 'POST').map((h) => h.authorization)).toEqual([undefined])
      expect(await lab.authorizationSeen(page, 'after')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(ms).toBeLessThan(lab.swOptions.refreshTimeoutMs!) // not after a timeout
    })

    it('a route named in authRoutes on the API origin goes at once, without the token it replaces', async () => {
      lab.api.issue = (force) => lab.issuer.answer(force)
      lab.swOptions = { ...lab.swOptions, authRoutes: [`${lab.apiOrigin}/token`] }
      const { page, ms } = await reloadWithExpiredToken({ url: `${lab.apiOrigin}/token`, form: false })
      console.log(`expired-JWT startup, authRoutes GET on the API origin: registration ${ms.toFixed(0)} ms`)
      expect(await events(page, 'error')).toEqual([])
      expect(lab.api.hits.filter((h) => h.path === '/token').map((h) => h.authorization)).toEqual([undefined])
      expect(await lab.authorizationSeen(page, 'after')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(ms).toBeLessThan(lab.swOptions.refreshTimeoutMs!)
    })

    it("with the page origin listed: the page's own scripts and its SDK's token route never wait for the refresh", async () => {
      lab.swOptions = { ...lab.swOptions, apiOrigins: [lab.pageOrigin, lab.apiOrigin], authRoutes: [`${lab.pageOrigin}/token`] }
      const { page, ms } = await reloadWithExpiredToken({ url: '/token', form: false })
      console.log(`expired-JWT startup, page origin listed: registration ${ms.toFixed(0)} ms`)
      expect(await events(page, 'error')).toEqual([])
      expect(lab.pageTokenRequests.map((r) => r.authorization)).toEqual([undefined, undefined]) // sign-in, then the reload's refresh
      expect(await lab.authorizationSeen(page, 'after')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(ms).toBeLessThan(lab.swOptions.refreshTimeoutMs!)
    })

    it('an unrecognised token route is delayed, never deadlocked, and never carries the token it replaces', async () => {
      lab.api.issue = (force) => lab.issuer.answer(force)
      const { page, ms } = await reloadWithExpiredToken({ url: `${lab.apiOrigin}/token`, form: false })
      console.log(`expired-JWT startup, unrecognised GET on the API origin: registration ${ms.toFixed(0)} ms`)
      expect(await events(page, 'error')).toEqual([])
      expect(lab.api.hits.filter((h) => h.path === '/token').map((h) => h.authorization)).toEqual([undefined])
      expect(await lab.authorizationSeen(page, 'after')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(ms).toBeLessThan(lab.swOptions.refreshTimeoutMs!)
    })
  })

  describe("the SDK's token call from a Web Worker of its own", () => {
    it('an unrecognised route is delayed about a second, never the whole refresh timeout, and never carries the refused token', async () => {
      lab.api.issue = (force) => lab.issuer.answer(force)
      const [page] = await lab.signedInTabs(1)
      await page!.evaluate((url) => ((window as any).tokenRoute = { url, form: false, worker: true }), `${lab.apiOrigin}/token`)
      const refused = lab.issuer.issued.at(-1)
      lab.issuer.revokeAll()
      const started = Date.now()
      expect((await call(page!, `${lab.apiOrigin}/auth?id=worker-route`)).status).toBe(200)
      const ms = Date.now() - started
      console.log(`401 → refresh with the token call from a Web Worker, unrecognised JSON route: ${ms} ms`)
      expect(lab.api.hits.filter((h) => h.path === '/token').map((h) => h.authorization)).toEqual([undefined])
      expect(lab.api.hits.some((h) => h.path === '/token' && h.authorization === `Bearer ${refused}`)).toBe(false)
      expect(ms).toBeLessThan(lab.swOptions.refreshTimeoutMs!) // not after a timeout
      expect(await events(page!, 'error')).toEqual([])
    })
  })

  describe('a wrong browser clock', () => {
    // Tokens live 32 s against the default 30 s leeway: due 2 s after they are minted.
    async function refreshesAheadOnTheIssuersClock(offsetSeconds: number) {
      lab.issuer.clockOffsetSeconds = offsetSeconds
      lab.issuer.lifetimeSeconds = 32
      const [page] = await lab.signedInTabs(1)
      await call(page!, `${lab.apiOrigin}/echo?id=settle`) // whatever the first token's age, now one is held
      const mints = lab.issuer.mints
      expect(await lab.authorizationSeen(page!, 'young')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(lab.issuer.mints).toBe(mints) // not due yet
      await sleep(3000)
      expect(await lab.authorizationSeen(page!, 'due')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
      expect(lab.issuer.mints).toBe(mints + 1)
      expect((await contexts(page!)).at(-1)).toEqual({ reason: 'expiring', forceRefresh: true })
    }

    it('ten minutes behind the issuer: still refreshes before exp', () => refreshesAheadOnTheIssuersClock(600))
    it('ten minutes ahead of the issuer: does not take every token for expired, and refreshes before exp', () =>
      refreshesAheadOnTheIssuersClock(-600))
  })
})
