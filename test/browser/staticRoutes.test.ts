import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { useLab } from './harness/useLab.js'

const lab = useLab()

/** How the browser routed a request, from its resource timing entry. */
const routed = (page: Page, url: string) =>
  page.evaluate(async (u) => {
    await (await fetch(u)).text()
    await new Promise((r) => setTimeout(r, 50)) // the entry lands after the body
    const entry = performance.getEntriesByName(u).at(-1) as any
    return { workerStart: entry.workerStart, matched: entry.workerMatchedSourceType ?? null, final: entry.workerFinalSourceType ?? null }
  }, url)

describe('static routing', () => {
  it('sends non-API requests straight to the network, never through the fetch event', async () => {
    const page = await lab.signedInTab(await lab.context())
    const asset = await routed(page, `${lab.pageOrigin}/asset.txt`)
    const api = await routed(page, `${lab.apiOrigin}/echo`)
    expect(asset.matched).toBe('network')
    expect(api.matched).toBe('') // no rule: the fetch event handles it, token and all
    expect(lab.api.withToken()).toHaveLength(1)
  })

  it('leaves every request to the fetch event when routeOthersToNetwork is false', async () => {
    lab.swOptions = { ...lab.swOptions, routeOthersToNetwork: false }
    const page = await lab.signedInTab(await lab.context())
    const asset = await routed(page, `${lab.pageOrigin}/asset.txt`)
    expect(asset.matched).toBe('')
    expect(asset.workerStart).toBeGreaterThan(0)
  })
})
