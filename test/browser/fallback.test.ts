import { describe, expect, it } from 'vitest'
import { engines, type Tab } from './harness/engines/index.js'
import { call } from './harness/page.js'
import { useLab } from './harness/useLab.js'

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  /** The lab's page on a name that is not localhost, over http: not a secure context. */
  async function insecureTab(): Promise<Tab> {
    const context = await lab.context()
    const page = await context.newPage()
    await page.goto(`http://app.sw-bearer.test:${lab.pageServer.port}/`)
    await page.waitForFunction(() => 'register' in window)
    return page as Tab
  }

  describe('when the page is not a secure context', () => {
    it('runs in the page: plain fetch and XMLHttpRequest carry the token, and a 401 refreshes once and retries once', async () => {
      const page = await insecureTab()
      expect(await page.evaluate(() => window.isSecureContext)).toBe(false)
      const registered = await page.evaluate((api) => (window as any).register({ fallback: { apiOrigins: [api] } }), lab.apiOrigin)
      expect(registered.controlled).toBe(false)
      expect(await page.evaluate(() => (window as any).session.mode)).toBe('in-page')
      const token = lab.issuer.issued.at(-1)!
      expect((await call(page, `${lab.apiOrigin}/echo?id=f`)).status).toBe(200)
      expect(lab.api.sends('f')[0]?.authorization).toBe(`Bearer ${token}`)
      const viaXhr = await page.evaluate((url) => (window as any).xhr(url), `${lab.apiOrigin}/echo?id=x`)
      expect(viaXhr.status).toBe(200)
      expect(lab.api.sends('x')[0]?.authorization).toBe(`Bearer ${token}`)

      lab.issuer.revokeAll()
      lab.issuer.calls = 0
      const post = await call(page, `${lab.apiOrigin}/auth?id=r`, { method: 'POST', body: 'same bytes' })
      expect(post.status).toBe(200)
      expect(lab.issuer.calls).toBe(1)
      expect(lab.api.sends('r').map((s) => [s.authorization, s.body.toString()])).toEqual([
        [`Bearer ${token}`, 'same bytes'],
        [`Bearer ${lab.issuer.issued.at(-1)}`, 'same bytes'],
      ])
      lab.issuer.revokeAll()
      lab.issuer.calls = 0
      const xhr401 = await page.evaluate((url) => (window as any).xhr(url, 'PUT', 'xhr bytes'), `${lab.apiOrigin}/auth?id=xr`)
      expect(xhr401.status).toBe(200)
      expect(lab.issuer.calls).toBe(1)
      expect(lab.api.sends('xr').map((s) => s.body.toString())).toEqual(['xhr bytes', 'xhr bytes'])
    })
  })
})
