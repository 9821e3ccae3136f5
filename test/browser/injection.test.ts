import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Lab } from './harness/lab.js'

let lab: Lab
beforeAll(async () => {
  lab = await Lab.start()
})
afterAll(() => lab?.close())
beforeEach(() => lab.reset())

const call = (url: string, init?: RequestInit) => [url, init] as const

describe('injection', () => {
  it('attaches the bearer token to fetch and XHR on the configured origin', async () => {
    const page = await lab.signedInTab(await lab.context())
    const token = lab.issuer.issued.at(-1)!
    const viaFetch = await page.evaluate(([url]) => (window as any).call(url), call(`${lab.apiOrigin}/echo?id=f`))
    const viaXhr = await page.evaluate((url) => (window as any).xhr(url), `${lab.apiOrigin}/echo?id=x`)
    expect(viaFetch.status).toBe(200)
    expect(JSON.parse(viaFetch.body).authorization).toBe(`Bearer ${token}`)
    expect(JSON.parse(viaXhr.body).authorization).toBe(`Bearer ${token}`)
  })
})
