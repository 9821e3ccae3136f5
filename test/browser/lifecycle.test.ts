import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { call, events } from './harness/page.js'
import { useLab } from './harness/useLab.js'

// The real back/forward cache: playwright-core disables it unless told otherwise.
const lab = useLab({ bfcache: true })

/** Leaves for another page of the app and comes back with Back; true if the page was frozen, not reloaded. */
async function awayAndBack(page: Page, whileAway: () => Promise<void>): Promise<boolean> {
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
