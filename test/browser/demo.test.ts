import { mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type Demo } from '../../demo/start.js'
import { DemoTab, RequestLog, screenshot, sizeForScreenshot } from './harness/demoDriver.js'
import { engines, launchEngine, type Engine } from './harness/engines/index.js'

const ARTIFACTS = fileURLToPath(new URL('../.artifacts/', import.meta.url))
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/demo.png', import.meta.url))

describe.each(engines)('%s', (engine) => {
  let demo: Demo
  let browser: Engine
  let requests: RequestLog

  beforeAll(async () => {
    requests = new RequestLog()
    // Long enough that no refresh ahead of expiry can sneak into the counts below.
    ;[demo, browser] = await Promise.all([startDemo({ pagePort: 0, apiPort: 0, providerPort: 0, lifetimeSeconds: 120 }), launchEngine(engine)])
  })

  afterAll(async () => {
    await browser?.close()
    await demo?.close()
    requests?.stop()
  })

  describe('the demo', () => {
    it('signs in at the provider, calls the API with its ES256 token, survives a revoke with one refresh_token grant, and signs out every tab', async () => {
      const pageOrigin = new URL(demo.pageURL).origin
      const issuerOrigin = new URL(demo.issuerURL).origin
      const context = await browser.newContext()
      // Every uncaught error and unhandled rejection in either tab, whichever document it was in.
      const pageErrors: string[] = []
      const page = new DemoTab(await context.newPage(), pageErrors)
      await sizeForScreenshot(engine, page.tab)

      await page.goto(demo.pageURL)
      await page.state('signed-out')

      // Sign-in goes through the provider's own login page: authorization code + PKCE.
      await page.click('#signin', { navigates: true })
      await page.at(issuerOrigin, 'input[name="name"]')
      await page.fill('input[name="name"]', 'Ada Lovelace')
      await page.click('button[type="submit"]', { navigates: true })
      await page.at(pageOrigin)
      await page.state('signed-in')
      await expect.poll(() => page.text('#profile-name')).toBe('Ada Lovelace')
      expect(new URL(await page.url()).search).toBe('') // the callback's ?code&state is gone
      expect(demo.provider.counters()).toMatchObject({ logins: 1, codeOk: 1, refreshOk: 0, serverErrors: [] })

      // The app's plain fetch reached the API with the provider's access token: ES256, at+jwt, for the API.
      const seen = demo.received.length
      expect(await page.clickFor('#call-api', 'GET /me')).toBe(200)
      const received = demo.received.slice(seen).find((r) => r.route === 'GET /me')
      expect(received?.ok).toBe(true)
      expect(decodeProtectedHeader(received!.token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' })
      const { payload } = await jwtVerify(received!.token, createRemoteJWKSet(new URL(demo.jwksURL)), {
        issuer: demo.issuerURL,
        audience: demo.audience,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      })
      expect(payload).toMatchObject({ sub: 'Ada Lovelace', client_id: demo.clientId, jti: expect.any(String) })
      expect(payload.exp! - payload.iat!).toBe(120)

      // Posting goes through the same path, body and all.
      await page.fill('#note-text', 'Order more punch cards for the Analytical Engine')
      expect(await page.clickFor('#post-note', 'POST /notes')).toBe(201)

      // Revoke, call again: one 401, one refresh_token grant at the provider, one retry, and the app sees a 200.
      expect(await page.clickFor('#revoke', 'POST /session/revoke')).toBe(200)
      const before = { ...demo.activity.counters }
      const mark = demo.provider.mark()
      const revokedAt = demo.received.length
      expect(await page.clickFor('#call-api', 'GET /me')).toBe(200)
      expect(demo.provider.counters(mark)).toMatchObject({ tokenRequests: 1, refreshOk: 1, invalidGrant: 0, codeOk: 0, serverErrors: [] })
      const after = demo.activity.counters
      expect(after.providerCalls - before.providerCalls).toBe(1)
      expect(after.refreshGrants - before.refreshGrants).toBe(1)
      expect(after.unauthorized - before.unauthorized).toBe(1)
      expect(after.retries - before.retries).toBe(1)
      const [rejected, retried, ...rest] = demo.received.slice(revokedAt)
      expect(rest).toEqual([])
      expect(rejected).toMatchObject({ route: 'GET /me', ok: false })
      expect(retried).toMatchObject({ route: 'GET /me', ok: true })
      expect(retried!.token).not.toBe(rejected!.token)

      // The live log tells it in order: revoke, 401, the tab's refresh, the provider's grant, the retry, the 200.
      await page.until('the retry in the log', () => document.querySelector('.entry[data-kind="retry"]') !== null, undefined)
      await expect.poll(() => page.text('#count-retries')).toBe('1')
      const lines = await page.logLines()
      const find = (from: number, pattern: RegExp) => {
        const index = lines.findIndex((line, i) => i > from && pattern.test(line))
        expect(index, `${pattern} after line ${from} in\n${lines.join('\n')}`).toBeGreaterThan(from)
        return index
      }
      const revoke = find(-1, /^API: Revoked/)
      const unauthorized = find(revoke, /^API: GET \/me: 401 invalid_token, token #\S+ was revoked/)
      const grant = find(unauthorized, /^Provider: Token endpoint: refresh_token grant/)
      const retry = find(grant, /^API: GET \/me: retried with new token/)
      find(retry, /^This tab: The app's fetch GET \/me resolved 200/)
      find(unauthorized, /^This tab: The worker asked this tab for a new token \(unauthorized\)/)
      expect(lines.filter((line) => /refresh_token grant/.test(line))).toHaveLength(1)

      await new Promise((resolve) => setTimeout(resolve, 400)) // let the newest log lines finish their fade-in
      await mkdir(ARTIFACTS, { recursive: true })
      const picture = await screenshot(engine, page.tab, `${ARTIFACTS}demo.png`)
      // docs/demo.png is committed (Chromium's): refresh it on request only, so a test run leaves the tree clean.
      if (picture && process.env.UPDATE_SCREENSHOTS) await writeFile(DOCS_SCREENSHOT, picture)

      // A second tab joins signed in, with no call to the provider: the SDK's user is in localStorage.
      // "Open another tab" is window.open(location.href); the drivers cannot adopt a window the page
      // opened, so the test opens that URL in a tab of the same browser context, as a person could.
      const joined = demo.provider.mark()
      const second = new DemoTab(await context.newPage(), pageErrors)
      await second.goto(await page.url())
      await second.state('signed-in')
      expect(demo.provider.counters(joined).tokenRequests).toBe(0)

      // Signing out there signs this tab out at once, and takes that tab to the provider's end_session and back.
      const leaving = requests.mark()
      await second.click('#signout', { navigates: true })
      await page.state('signed-out')
      await expect.poll(() => page.text('#toast')).toContain('signed out in another tab')
      // What the tab loaded, as the servers saw it. The provider's sign-out page answers its own
      // question with a form it submits, whose answer redirects back to the page.
      const at = (url: URL) => (url.origin === issuerOrigin ? url.pathname : url.origin)
      await expect.poll(() => requests.documents(leaving).map((r) => `${r.method} ${at(r.url)}`)).toEqual([
        'GET /v2/logout',
        'POST /v2/logout/confirm',
        `GET ${pageOrigin}`,
      ])
      await second.state('signed-out')
      expect(await second.tab.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('oidc.user:')))).toEqual([])
      const signedOut = demo.provider.counters(joined)
      expect(signedOut).toMatchObject({ tokenRequests: 0, serverErrors: [] })
      expect(signedOut.grantRevoked).toBeGreaterThan(0) // the refresh token is dead too

      // Signing in again asks who you are: the provider's session ended with the sign-out.
      await second.click('#signin', { navigates: true })
      await second.at(issuerOrigin, 'input[name="name"]')

      await page.watch()
      await second.watch()
      expect(pageErrors).toEqual([])
      await context.close()
    })
  })
})
