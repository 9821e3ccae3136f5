import { describe, expect, it } from 'vitest'
import { call, collect, events, providerCalls, sleep, start, type Result } from './harness/page.js'
import { useLab } from './harness/useLab.js'
import { CAPABILITIES, engines, type Tab } from './harness/engines/index.js'

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  describe('who refreshes', () => {
    it('asks the tab that made the request', async () => {
      const [a, b] = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      const before = [await providerCalls(a!), await providerCalls(b!)]
      expect((await call(b!, `${lab.apiOrigin}/auth?id=b`)).status).toBe(200)
      expect([await providerCalls(a!), await providerCalls(b!)]).toEqual([before[0], before[1]! + 1])
    })

    it('asks a tab that runs a session before one in scope that never registered, without waiting it out', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 5000 }
      const context = await lab.context()
      const signedIn = await lab.signedInTab(context)
      // In scope and controlled, but its app never registered: it cannot refresh.
      const mute = await lab.tab(context)
      lab.issuer.revokeAll()
      const started = Date.now()
      expect((await call(mute, `${lab.apiOrigin}/auth?id=mute`)).status).toBe(200)
      expect(Date.now() - started).toBeLessThan(4000)
      expect(await providerCalls(signedIn)).toBe(2)
    })

    /** The requesting tab stuck in a long task after its request left, till past twice the ack timeout. */
    async function stuckAfterRequest(stuck: Tab): Promise<Result> {
      lab.issuer.revokeAll()
      await start(stuck, [`${lab.apiOrigin}/auth?id=stuck&ms=800`])
      // Stuck once the request has left (engines start a fetch after a different number of main
      // thread turns) and before the worker's refresh request, after the slow 401, can be acknowledged.
      await expect.poll(() => lab.api.sends('stuck').length, { interval: 20 }).toBe(1)
      await stuck.evaluate(() => {
        // Past twice the worker's ack timeout: when it comes to, the request is too old to answer.
        const until = performance.now() + 4500
        while (performance.now() < until);
      })
      return (await collect(stuck))[0]!
    }

    it('asks another tab when the requesting one does not acknowledge in time (its main thread is stuck)', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 1000 }
      // The worker started for the first tab; Firefox builds its tab list from every tab, the stuck one too.
      const [other, stuck] = await lab.signedInTabs(2)
      expect((await stuckAfterRequest(stuck!)).status).toBe(200)
      expect([await providerCalls(other!), await providerCalls(stuck!)]).toEqual([2, 1])
      expect(lab.api.sends('stuck')).toHaveLength(2)
    })

    it('when the tab the worker started in is stuck, asks another tab, as far as the engine lets the worker run meanwhile', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 1000 }
      const [stuck, other] = await lab.signedInTabs(2)
      const result = await stuckAfterRequest(stuck!)
      const calls = async () => ({ stuck: await providerCalls(stuck!), other: await providerCalls(other!) })
      switch (CAPABILITIES[engine].stuckHostHolds) {
        case 'nothing':
          expect(result.status).toBe(200)
          expect(await calls()).toEqual({ stuck: 1, other: 2 })
          break
        case 'fetch-events':
          // The other tab is asked, but its provider call is held past the clock: the page gets
          // its 401 within the bound rather than wait on the engine, and nothing is retried.
          expect(result.status).toBe(401)
          expect(await calls()).toEqual({ stuck: 1, other: 2 })
          expect(lab.api.sends('stuck')).toHaveLength(1)
          return
        case 'worker':
          // The worker sees the 401 once the tab is free, and asks it first, as the requester.
          expect(result.status).toBe(200)
          expect(await calls()).toEqual({ stuck: 2, other: 1 })
      }
      expect(lab.api.sends('stuck')).toHaveLength(2)
    })

    it('lets the refreshing tab reach a listed origin while it refreshes (an SDK that asks the API for its token)', async () => {
      const page = await lab.tab(await lab.context())
      await page.evaluate(async (api) => {
        const w = window as any
        const getAccessToken = async () => {
          w.providerCalls++
          await fetch(`${api}/echo?id=sdk-${w.providerCalls}`, { credentials: 'include' }) // a session check on the API origin
          return (await (await fetch('/token')).json()).token
        }
        w.session = await w.lib.registerTokenServiceWorker({ scriptURL: '/sw.js', type: 'module', getAccessToken })
      }, lab.apiOrigin)
      lab.issuer.revokeAll()
      expect((await call(page, `${lab.apiOrigin}/auth?id=needs-refresh`)).status).toBe(200)
      expect(lab.api.sends('sdk-2')).toHaveLength(1)
      // And before expiry: the SDK's call is not held up by the refresh it is part of.
      await page.evaluate((t) => (window as any).session.setToken(t), await lab.issuer.mint(20))
      expect((await call(page, `${lab.apiOrigin}/auth?id=near-expiry`)).status).toBe(200)
      expect(lab.api.sends('sdk-3')).toHaveLength(1)
      expect(lab.api.sends('near-expiry')[0]?.authorization).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
    })

    it('moves on when the refreshing tab closes mid-refresh', async () => {
      const [a, b] = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      lab.issuer.mode = 'hang'
      lab.issuer.calls = 0
      await start(a!, [`${lab.apiOrigin}/auth?id=from-a`])
      await expect.poll(() => lab.issuer.calls).toBe(1) // tab a is refreshing, and stuck
      await start(b!, [`${lab.apiOrigin}/auth?id=from-b`])
      lab.issuer.mode = 'ok'
      await a!.close()
      expect((await collect(b!))[0]!.status).toBe(200)
      expect(lab.issuer.calls).toBe(2)
    })

    it('does not abandon a tab that is alive but slowed down: acknowledging and refreshing have separate clocks', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 1500 }
      const [page] = await lab.signedInTabs(1)
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 1000
      lab.issuer.calls = 0
      const result = await page!.evaluate(async (url) => {
        const pending = (window as any).call(url)
        // The main thread is busy for a second, as under a storm: the ack comes late.
        await new Promise((r) => setTimeout(r, 50))
        const until = performance.now() + 1000
        while (performance.now() < until);
        return pending
      }, `${lab.apiOrigin}/auth?id=busy`)
      expect(result.status).toBe(200)
      expect(lab.issuer.calls).toBe(1)
    })

    it('gives the page its original 401 when no tab can refresh, within the time bound', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 800 }
      const context = await lab.context()
      await (await lab.signedInTab(context)).close()
      const mute = await lab.tab(context)
      lab.issuer.revokeAll()
      const started = Date.now()
      expect((await call(mute, `${lab.apiOrigin}/auth?id=nobody`)).status).toBe(401)
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(lab.api.sends('nobody')).toHaveLength(1)
    })
  })

  describe('before expiry', () => {
    it('refreshes a JWT within the leeway before sending it, so the API never sees it expire', async () => {
      lab.issuer.lifetimeSeconds = 20 // inside the 30 s leeway from the start
      const [page] = await lab.signedInTabs(1)
      const handedOver = lab.issuer.issued.at(-1)
      lab.issuer.lifetimeSeconds = 3600
      expect((await call(page!, `${lab.apiOrigin}/auth?id=early`)).status).toBe(200)
      const sends = lab.api.sends('early')
      expect(sends).toHaveLength(1)
      expect(sends[0]!.authorization).not.toBe(`Bearer ${handedOver}`)
      expect(lab.issuer.calls).toBe(2)
    })

    it('sends a fresh token that still looks expired (skewed clock) instead of refreshing again', async () => {
      lab.issuer.lifetimeSeconds = 10
      const [page] = await lab.signedInTabs(1)
      for (let i = 0; i < 5; i++) expect((await call(page!, `${lab.apiOrigin}/auth?id=skew${i}`)).status).toBe(200)
      // One refresh ahead of expiry, then none: the tokens are still valid for the API.
      expect(lab.issuer.calls).toBe(2)
    })

    it('does not loop when the provider hands out a JWT already past exp', async () => {
      lab.issuer.mode = 'expired'
      const [page] = await lab.signedInTabs(1)
      lab.issuer.calls = 0
      expect((await call(page!, `${lab.apiOrigin}/auth?id=dead`)).status).toBe(401)
      expect(lab.api.sends('dead')).toHaveLength(2)
      expect(lab.issuer.calls).toBeLessThanOrEqual(2)
      expect((await call(page!, `${lab.apiOrigin}/auth?id=dead2`)).status).toBe(401)
      expect(lab.api.sends('dead2').length).toBeLessThanOrEqual(2)
      // Two fresh tokens refused in a row: backing off now, so the next request calls nobody.
      const calls = lab.issuer.calls
      expect(calls).toBeLessThanOrEqual(3)
      expect((await call(page!, `${lab.apiOrigin}/auth?id=dead3`)).status).toBe(401)
      expect(lab.api.sends('dead3').length).toBeLessThanOrEqual(2)
      expect(lab.issuer.calls).toBe(calls)
    })

    it('refreshes when the tab becomes visible, comes online or is restored from bfcache, if near expiry', async () => {
      const [page] = await lab.signedInTabs(1)
      const triggers = [
        () => document.dispatchEvent(new Event('visibilitychange')),
        () => window.dispatchEvent(new Event('online')),
        () => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })),
      ]
      // Far from expiry: a trigger checks and does nothing.
      await page!.evaluate(triggers[0]!)
      await sleep(300)
      expect(lab.issuer.calls).toBe(1)
      for (const [i, trigger] of triggers.entries()) {
        const short = await lab.issuer.mint(20)
        await page!.evaluate((t) => (window as any).session.setToken(t), short)
        await page!.evaluate(trigger)
        await expect.poll(() => lab.issuer.calls).toBe(2 + i)
      }
      expect(lab.api.hits).toEqual([]) // no request was needed to trigger any of it
    })
  })

  describe('the provider says nobody is signed in', () => {
    // That IndexedDB is cleared too is the logout() test's (session): the same state change.
    it('logs out everywhere: logout in every tab, 401 to the page, no more provider calls', async () => {
      const [a, b] = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      lab.issuer.mode = 'null'
      lab.issuer.calls = 0
      expect((await call(a!, `${lab.apiOrigin}/auth?id=gone`)).status).toBe(401)
      for (const tab of [a!, b!]) {
        await expect.poll(() => events(tab, 'logout')).toHaveLength(1)
        expect(await tab.evaluate(() => (window as any).session.claims)).toBeNull()
      }
      expect((await call(b!, `${lab.apiOrigin}/auth?id=after`)).status).toBe(401)
      expect(lab.api.sends('after')[0]?.authorization).toBeUndefined()
      expect(lab.issuer.calls).toBe(1)
      // A token set again ends it.
      lab.issuer.mode = 'ok'
      expect(await b!.evaluate(() => (window as any).session.refresh())).toBe(lab.issuer.issued.at(-1))
      expect((await call(a!, `${lab.apiOrigin}/auth?id=back`)).status).toBe(200)
    })

    it('changes nothing when refresh() hears null or logout() is called while already signed out: no more events', async () => {
      const [a, b] = await lab.signedInTabs(2)
      await a!.evaluate(() => (window as any).session.logout())
      for (const tab of [a!, b!]) await expect.poll(() => events(tab, 'logout')).toHaveLength(1)
      const seen = (tab: typeof a) => tab!.evaluate(() => (window as any).events.length)
      const before = [await seen(a), await seen(b)]
      lab.issuer.mode = 'null'
      for (let i = 0; i < 2; i++) expect(await a!.evaluate(() => (window as any).session.refresh())).toBeNull()
      for (let i = 0; i < 2; i++) await b!.evaluate(() => (window as any).session.logout())
      await sleep(200)
      expect([await seen(a), await seen(b)]).toEqual(before)
    })
  })

  describe('the provider fails', () => {
    it('throws: the request gets its original 401, the token is kept, and later attempts back off', async () => {
      const [page] = await lab.signedInTabs(1)
      const kept = lab.issuer.issued.at(-1)
      lab.issuer.revokeAll()
      lab.issuer.mode = 'throw'
      lab.issuer.calls = 0
      for (let i = 0; i < 5; i++) expect((await call(page!, `${lab.apiOrigin}/auth?id=t${i}`)).status).toBe(401)
      expect(lab.issuer.calls).toBe(1) // backing off: the other four did not reach the provider
      expect(lab.api.sends('t4')[0]?.authorization).toBe(`Bearer ${kept}`)
      expect(await events(page!, 'error')).toContainEqual({ type: 'error', code: 'provider-failed' })
      // Backoff is 1 s after the first failure; once it passes and the provider recovers, all is well.
      lab.issuer.mode = 'ok'
      await sleep(1100)
      expect((await call(page!, `${lab.apiOrigin}/auth?id=recovered`)).status).toBe(200)
    })

    it('hangs: the request gets its original 401 once the refresh times out, never hangs', async () => {
      lab.swOptions = { ...lab.swOptions, refreshTimeoutMs: 1000 }
      const [page] = await lab.signedInTabs(1)
      lab.issuer.revokeAll()
      lab.issuer.mode = 'hang'
      const started = Date.now()
      expect((await call(page!, `${lab.apiOrigin}/auth?id=h`)).status).toBe(401)
      expect(Date.now() - started).toBeLessThan(5000)
    })

    it('a token set by hand ends the backoff: the next 401 refreshes at once', async () => {
      const [page] = await lab.signedInTabs(1)
      lab.issuer.revokeAll()
      lab.issuer.mode = 'throw'
      expect((await call(page!, `${lab.apiOrigin}/auth?id=failing`)).status).toBe(401) // backing off for 1 s
      lab.issuer.mode = 'ok'
      await page!.evaluate((t) => (window as any).session.setToken(t), await lab.issuer.mint())
      lab.issuer.revokeAll()
      const calls = lab.issuer.calls
      expect((await call(page!, `${lab.apiOrigin}/auth?id=after-set`)).status).toBe(200)
      expect(lab.issuer.calls).toBe(calls + 1)
    })

    it('returns something that is not a token: treated as a failure, token kept', async () => {
      const [page] = await lab.signedInTabs(1)
      const kept = lab.issuer.issued.at(-1)
      lab.issuer.revokeAll()
      lab.issuer.mode = 'non-string'
      expect((await call(page!, `${lab.apiOrigin}/auth?id=n`)).status).toBe(401)
      expect(await events(page!, 'error')).toContainEqual({ type: 'error', code: 'invalid-token' })
      expect(await page!.evaluate(() => (window as any).session.claims)).not.toBeNull()
      lab.issuer.valid.add(kept!)
      expect((await call(page!, `${lab.apiOrigin}/auth?id=n2`)).status).toBe(200)
    })
  })

  describe('logout', () => {
    it('wins over a refresh that completes after it: the token does not come back', async () => {
      const [a, b] = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 1000
      lab.issuer.calls = 0
      await start(a!, [`${lab.apiOrigin}/auth?id=race`])
      await expect.poll(() => lab.issuer.calls).toBe(1)
      await b!.evaluate(() => (window as any).session.logout())
      expect((await collect(a!))[0]!.status).toBe(401)
      await sleep(200)
      for (const tab of [a!, b!]) {
        expect(await events(tab, 'logout')).toHaveLength(1)
        expect(await tab.evaluate(() => (window as any).session.claims)).toBeNull()
      }
      expect((await call(a!, `${lab.apiOrigin}/echo?id=after-race`)).status).toBe(200)
      expect(lab.api.sends('after-race')[0]?.authorization).toBeUndefined()
    })

    it('a sign-in after it never takes the answer of a provider call that started before it', async () => {
      const [a, b] = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 1000
      lab.issuer.calls = 0
      const before = await providerCalls(a!)
      await start(a!, [`${lab.apiOrigin}/auth?id=pre-logout`])
      await expect.poll(() => lab.issuer.calls).toBe(1) // a's SDK call for the old session is under way
      await b!.evaluate(() => (window as any).session.logout())
      const token = await a!.evaluate(() => (window as any).session.refresh())
      expect(await providerCalls(a!)).toBe(before + 2)
      expect(token).toBe(lab.issuer.issued.at(-1))
      expect(lab.issuer.issued.at(-2)).not.toBe(token)
    })

    it('wins even when a new session starts before the refresh ends: the old request is not resent with its token', async () => {
      const [a, b, c] = await lab.signedInTabs(3)
      lab.issuer.revokeAll()
      lab.issuer.delayMs = 1500
      lab.issuer.calls = 0
      await start(b!, [`${lab.apiOrigin}/auth?id=old-session`])
      await expect.poll(() => lab.issuer.calls).toBe(1)
      await a!.evaluate(() => (window as any).session.logout())
      const next = await lab.issuer.mint()
      await c!.evaluate((t) => (window as any).session.setToken(t), next)
      expect((await collect(b!))[0]!.status).toBe(401)
      expect(lab.api.sends('old-session')).toHaveLength(1)
      expect(await lab.authorizationSeen(a!, 'new-session')).toBe(`Bearer ${next}`)
    })
  })

  describe('tokenchange', () => {
    it('fires in every tab with the new claims when a 401 refresh replaces the token', async () => {
      const [a, b] = await lab.signedInTabs(2)
      lab.issuer.revokeAll()
      await call(a!, `${lab.apiOrigin}/auth?id=tc`)
      const fresh = JSON.parse(Buffer.from(lab.issuer.issued.at(-1)!.split('.')[1]!, 'base64url').toString())
      for (const tab of [a!, b!]) {
        await expect.poll(async () => (await events(tab, 'tokenchange')).at(-1)?.claims?.jti).toBe(fresh.jti)
      }
    })
  })
})
