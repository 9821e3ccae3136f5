import { describe, expect, it } from 'vitest'
import { engines, type EngineName, type Tab } from './harness/engines/index.js'
import { useLab } from './harness/useLab.js'
import { fetchEventsSeen } from './harness/witness.js'

/** The Static Routing API (`InstallEvent.addRoutes`): Chromium only, in the engines tested here. */
const STATIC_ROUTING: Record<EngineName, boolean> = { chromium: true, firefox: false, webkit: false }

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  /** How the browser routed a request, from its resource timing entry. */
  const routed = (page: Tab, url: string) =>
    page.evaluate(async (u) => {
      const response = await fetch(u)
      await response.text()
      await new Promise((r) => setTimeout(r, 50)) // the entry lands after the body
      const entry = performance.getEntriesByName(u).at(-1) as any
      return { status: response.status, workerStart: entry.workerStart, matched: entry.workerMatchedSourceType ?? null, final: entry.workerFinalSourceType ?? null }
    }, url)

  describe('static routing', () => {
    it('with routeOthersToNetwork, sends non-API requests straight to the network where the engine has static routing, through the fetch event untouched where not', async () => {
      lab.swOptions = { ...lab.swOptions, routeOthersToNetwork: true }
      lab.swWitness = true
      const page = await lab.signedInTab(await lab.context())
      const unlisted = `${lab.otherOrigin}/echo?id=unlisted`
      const asset = await routed(page, `${lab.pageOrigin}/asset.txt`)
      expect((await routed(page, unlisted)).status).toBe(200)
      const api = await routed(page, `${lab.apiOrigin}/echo?id=api`)
      const reached = await fetchEventsSeen(page)
      expect(reached).toContain(`${lab.apiOrigin}/echo?id=api`)
      if (STATIC_ROUTING[engine]) {
        expect(asset.matched).toBe('network')
        expect(api.matched).toBe('') // no rule: the fetch event handles it, token and all
        expect(reached).not.toContain(unlisted)
        expect(reached).not.toContain(`${lab.pageOrigin}/asset.txt`)
      } else {
        // Feature-detected: no rules added, the worker installs, and its fetch event passes them on.
        expect([asset.matched, api.matched]).toEqual([null, null])
        expect(reached).toEqual(expect.arrayContaining([unlisted, `${lab.pageOrigin}/asset.txt`]))
        expect(asset.status).toBe(200)
      }
      // Untouched: the unlisted origin saw the request once, without a token.
      expect(lab.other.sends('unlisted')).toEqual([expect.objectContaining({ authorization: undefined })])
      expect(lab.api.sends('api')[0]?.authorization).toMatch(/^Bearer /)
    })

    it('leaves every request to the fetch event by default, where the other handlers of the worker see it', async () => {
      lab.swWitness = true
      const page = await lab.signedInTab(await lab.context())
      const asset = await routed(page, `${lab.pageOrigin}/asset.txt`)
      expect(asset.matched).toBe(STATIC_ROUTING[engine] ? '' : null)
      expect(asset.status).toBe(200)
      expect(await fetchEventsSeen(page)).toContain(`${lab.pageOrigin}/asset.txt`)
    })
  })
})
