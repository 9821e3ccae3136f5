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
  demo = await startDemo({ pagePort: 0, apiPort: 0, lifetimeSeconds: 120 })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

const state = (page: Page, value: 'signed-in' | 'signed-out') =>
  page.locator(`body[data-state="${value}"]`).waitFor({ timeout: 15_000 })

/** Clicks and resolves with the response the app's own request got (after whatever the worker did). */
async function clickFor(page: Page, selector: string, path: string) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${demo.apiURL}${path}` && r.request().method() !== 'OPTIONS'),
    page.click(selector),
  ])
  return response
}

describe('the demo', () => {
  it('signs in, calls the API with an ES256 token, survives a revoke with one refresh, and signs out every tab', async () => {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } })
    const page = await context.newPage()
    const pageErrors: Error[] = []
    page.on('pageerror', (error) => pageErrors.push(error))

    await page.goto(demo.pageURL)
    await state(page, 'signed-out')

    await page.fill('#name', 'Ada Lovelace')
    await page.click('#signin')
    await state(page, 'signed-in')
    await expect.poll(() => page.textContent('#profile-name')).toBe('Ada Lovelace')

    // The app's plain fetch reached the API with a token that verifies as ES256 against the JWKS.
    const seen = demo.received.length
    expect((await clickFor(page, '#call-api', '/me')).status()).toBe(200)
    const received = demo.received.slice(seen).find((r) => r.route === 'GET /me')
    expect(received?.ok).toBe(true)
    expect(decodeProtectedHeader(received!.token).alg).toBe('ES256')
    const { payload } = await jwtVerify(received!.token, createRemoteJWKSet(new URL(demo.jwksURL)), {
      issuer: demo.issuerURL,
      audience: demo.audience,
      algorithms: ['ES256'],
    })
    expect(payload).toMatchObject({ sub: expect.stringMatching(/^did:demo:/), sid: expect.any(String) })
    expect(payload.exp! - payload.iat!).toBe(120)

    // Posting goes through the same path, body and all.
    await page.fill('#note-text', 'Order more punch cards for the Analytical Engine')
    expect((await clickFor(page, '#post-note', '/notes')).status()).toBe(201)

    // Revoke, call again: one 401, one provider call, one retry, and the app sees a 200.
    expect((await clickFor(page, '#revoke', '/session/revoke')).status()).toBe(200)
    const before = { ...demo.activity.counters }
    const revokedAt = demo.received.length
    expect((await clickFor(page, '#call-api', '/me')).status()).toBe(200)
    const after = demo.activity.counters
    expect(after.providerCalls - before.providerCalls).toBe(1)
    expect(after.unauthorized - before.unauthorized).toBe(1)
    expect(after.retries - before.retries).toBe(1)
    const [rejected, retried, ...rest] = demo.received.slice(revokedAt)
    expect(rest).toEqual([])
    expect(rejected).toMatchObject({ route: 'GET /me', ok: false })
    expect(retried).toMatchObject({ route: 'GET /me', ok: true })
    expect(retried!.token).not.toBe(rejected!.token)

    // The live log and the counters tell the same story.
    await page.locator('.entry[data-kind="retry"]').waitFor()
    await expect.poll(() => page.textContent('#count-retries')).toBe('1')
    await page.waitForTimeout(400) // let the newest log lines finish their fade-in
    await mkdir(ARTIFACTS, { recursive: true })
    const screenshot = await page.screenshot({ path: `${ARTIFACTS}demo.png` })
    // docs/demo.png is committed: refresh it on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_SCREENSHOTS) await import('node:fs/promises').then((fs) => fs.writeFile(DOCS_SCREENSHOT, screenshot))

    // A second tab joins signed in; signing out there signs this tab out.
    const [second] = await Promise.all([context.waitForEvent('page'), page.click('#open-tab')])
    await state(second, 'signed-in')
    await second.click('#signout')
    await state(second, 'signed-out')
    await state(page, 'signed-out')
    await expect.poll(() => page.textContent('#toast')).toContain('signed out in another tab')

    expect(pageErrors).toEqual([])
    await context.close()
  })
})
