import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type Demo } from '../../demo/start.js'
import { launchChromium } from './harness/browser.js'

const ARTIFACTS = fileURLToPath(new URL('../.artifacts/', import.meta.url))
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/demo.png', import.meta.url))

let demo: Demo
let browser: Browser

beforeAll(async () => {
  // Long enough that no refresh ahead of expiry can sneak into the counts below.
  demo = await startDemo({ pagePort: 0, apiPort: 0, providerPort: 0, lifetimeSeconds: 120 })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

const state = (page: Page, value: 'signed-in' | 'signed-out') =>
  page.locator(`body[data-state="${value}"]`).waitFor({ timeout: 15_000 })

const at = (origin: string) => (url: URL) => url.origin === new URL(origin).origin

/** Clicks and resolves with the response the app's own request got (after whatever the worker did). */
async function clickFor(page: Page, selector: string, path: string) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${demo.apiURL}${path}` && r.request().method() !== 'OPTIONS'),
    page.click(selector),
  ])
  return response
}

/** The page's live log, oldest first, as `source: text`. */
const logLines = (page: Page) =>
  page.$$eval('.entry', (entries) => entries.map((e) => `${e.querySelector('small')!.textContent!.split(' · ')[0]}: ${e.querySelector('p')!.textContent}`))

describe('the demo', () => {
  it('signs in at the provider, calls the API with its ES256 token, survives a revoke with one refresh_token grant, and signs out every tab', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } })
    const page = await context.newPage()
    const pageErrors: Error[] = []
    page.on('pageerror', (error) => pageErrors.push(error))

    await page.goto(demo.pageURL)
    await state(page, 'signed-out')

    // Sign-in goes through the provider's own login page: authorization code + PKCE.
    await page.click('#signin')
    await page.waitForURL(at(demo.issuerURL))
    await page.fill('input[name="name"]', 'Ada Lovelace')
    await page.click('button[type="submit"]')
    await page.waitForURL(at(demo.pageURL))
    await state(page, 'signed-in')
    await expect.poll(() => page.textContent('#profile-name')).toBe('Ada Lovelace')
    expect(new URL(page.url()).search).toBe('') // the callback's ?code&state is gone
    expect(demo.provider.counters()).toMatchObject({ logins: 1, codeOk: 1, refreshOk: 0, serverErrors: [] })

    // The app's plain fetch reached the API with the provider's access token: ES256, at+jwt, for the API.
    const seen = demo.received.length
    expect((await clickFor(page, '#call-api', '/me')).status()).toBe(200)
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
    expect((await clickFor(page, '#post-note', '/notes')).status()).toBe(201)

    // Revoke, call again: one 401, one refresh_token grant at the provider, one retry, and the app sees a 200.
    expect((await clickFor(page, '#revoke', '/session/revoke')).status()).toBe(200)
    const before = { ...demo.activity.counters }
    const mark = demo.provider.mark()
    const revokedAt = demo.received.length
    expect((await clickFor(page, '#call-api', '/me')).status()).toBe(200)
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
    await page.locator('.entry[data-kind="retry"]').waitFor()
    await expect.poll(() => page.textContent('#count-retries')).toBe('1')
    const lines = await logLines(page)
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

    await page.waitForTimeout(400) // let the newest log lines finish their fade-in
    await mkdir(ARTIFACTS, { recursive: true })
    const screenshot = await page.screenshot({ path: `${ARTIFACTS}demo.png` })
    // docs/demo.png is committed: refresh it on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_SCREENSHOTS) await import('node:fs/promises').then((fs) => fs.writeFile(DOCS_SCREENSHOT, screenshot))

    // A second tab joins signed in, with no call to the provider: the SDK's user is in localStorage.
    const joined = demo.provider.mark()
    const [second] = await Promise.all([context.waitForEvent('page'), page.click('#open-tab')])
    second.on('pageerror', (error) => pageErrors.push(error))
    await state(second, 'signed-in')
    expect(demo.provider.counters(joined).tokenRequests).toBe(0)

    // Signing out there signs this tab out at once, and takes that tab to the provider's end_session and back.
    const visited: URL[] = []
    second.on('framenavigated', (frame) => frame === second.mainFrame() && visited.push(new URL(frame.url())))
    await second.click('#signout')
    await state(page, 'signed-out')
    await expect.poll(() => page.textContent('#toast')).toContain('signed out in another tab')
    await expect.poll(() => visited.map((url) => (at(demo.issuerURL)(url) ? url.pathname : url.origin))).toEqual([
      '/v2/logout',
      new URL(demo.pageURL).origin,
    ])
    await state(second, 'signed-out')
    expect(await second.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('oidc.user:')))).toEqual([])
    const signedOut = demo.provider.counters(joined)
    expect(signedOut).toMatchObject({ tokenRequests: 0, serverErrors: [] })
    expect(signedOut.grantRevoked).toBeGreaterThan(0) // the refresh token is dead too

    // Signing in again asks who you are: the provider's session ended with the sign-out.
    await second.click('#signin')
    await second.waitForURL(at(demo.issuerURL))
    await second.locator('input[name="name"]').waitFor()

    expect(pageErrors).toEqual([])
    await context.close()
  })
})
