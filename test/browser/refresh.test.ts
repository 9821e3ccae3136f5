import { describe, expect, it } from 'vitest'
import { engines, type Tab } from './harness/engines/index.js'
import { call, collect, start, storm } from './harness/page.js'
import { itNeeds } from './harness/gaps.js'
import { useLab } from './harness/useLab.js'

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)

  /** Signed in, then the issuer revokes everything: the next API call gets a 401. */
  async function revokedTabs(count: number): Promise<Tab[]> {
    const tabs = await lab.signedInTabs(count)
    lab.issuer.revokeAll()
    lab.issuer.calls = 0
    return tabs
  }

  describe('retry on 401', () => {
    it('refreshes once and sends the request again, exactly once, with the new token', async () => {
      const [page] = await revokedTabs(1)
      const old = lab.issuer.issued.at(-1)
      const result = await call(page!, `${lab.apiOrigin}/auth?id=r`)
      expect(result.status).toBe(200)
      expect(lab.issuer.calls).toBe(1)
      const sends = lab.api.sends('r')
      expect(sends.map((s) => s.authorization)).toEqual([`Bearer ${old}`, `Bearer ${lab.issuer.issued.at(-1)}`])
    })

    it('does the same for XMLHttpRequest', async () => {
      const [page] = await revokedTabs(1)
      const result = await page!.evaluate((url) => (window as any).xhr(url), `${lab.apiOrigin}/auth?id=xhr`)
      expect(result.status).toBe(200)
      expect(lab.api.sends('xhr')).toHaveLength(2)
      expect(lab.issuer.calls).toBe(1)
    })

    it('hands the retry response to the page whatever its status, and never sends a third time', async () => {
      const [page] = await revokedTabs(1)
      const result = await call(page!, `${lab.apiOrigin}/always401?id=loop`)
      expect(result.status).toBe(401)
      expect(lab.api.sends('loop')).toHaveLength(2)
      expect(lab.issuer.calls).toBe(1)
    })

    it('does nothing special for other statuses', async () => {
      const [page] = await revokedTabs(1)
      for (const code of [400, 403, 404, 500]) {
        expect((await call(page!, `${lab.apiOrigin}/status?code=${code}&id=s${code}`)).status).toBe(code)
        expect(lab.api.sends(`s${code}`)).toHaveLength(1)
      }
      expect(lab.issuer.calls).toBe(0)
    })

    it('does not refresh for a 401 from an unlisted origin a redirect led to: it never saw the token', async () => {
      const [page] = await lab.signedInTabs(1)
      const to = `${lab.otherOrigin}/always401?id=elsewhere`
      expect((await call(page!, `${lab.apiOrigin}/redirect?id=hop&to=${encodeURIComponent(to)}`)).status).toBe(401)
      expect(lab.issuer.calls).toBe(1)
      expect(lab.other.sends('elsewhere')).toHaveLength(1)
      // Nothing counted against the provider: a real 401 from the API still refreshes at once.
      lab.issuer.revokeAll()
      expect((await call(page!, `${lab.apiOrigin}/auth?id=after`)).status).toBe(200)
      expect(lab.issuer.calls).toBe(2)
    })

    it('replays every kind of body byte for byte', async () => {
      const [page] = await revokedTabs(1)
      const kinds = ['string', 'json', 'urlsearchparams', 'formdata', 'blob', 'arraybuffer'] as const
      for (const kind of kinds) {
        lab.issuer.revokeAll()
        const status = await page!.evaluate(
          async ([kind, url]) => {
            const bodies: Record<string, () => BodyInit> = {
              string: () => 'plain text ✓',
              json: () => JSON.stringify({ a: 1, b: [true, null, 'ü'] }),
              urlsearchparams: () => new URLSearchParams({ q: 'a b&c', n: '1' }),
              formdata: () => {
                const form = new FormData()
                form.append('field', 'value')
                form.append('file', new File([new Uint8Array([0, 1, 2, 255, 254])], 'bytes.bin', { type: 'application/octet-stream' }))
                return form
              },
              blob: () => new Blob(['blob ', new Uint8Array([0, 200, 7])], { type: 'application/x-test' }),
              arraybuffer: () => new Uint8Array(Array.from({ length: 70_000 }, (_, i) => i % 251)).buffer,
            }
            const headers = kind === 'json' ? { 'Content-Type': 'application/json' } : undefined
            return (await fetch(url, { method: 'POST', body: bodies[kind]!(), ...(headers ? { headers } : {}) })).status
          },
          [kind, `${lab.apiOrigin}/auth?id=${kind}`] as const,
        )
        expect(status, kind).toBe(200)
        const [first, retry] = lab.api.sends(kind)
        expect(lab.api.sends(kind), kind).toHaveLength(2)
        expect(first!.body.length, kind).toBeGreaterThan(0)
        expect(retry!.body.equals(first!.body), kind).toBe(true)
        expect(retry!.contentType, kind).toBe(first!.contentType)
        expect(retry!.authorization).not.toBe(first!.authorization)
      }
      expect(lab.issuer.calls).toBe(kinds.length)
    })
  })

  describe('single flight', () => {
    it('answers a storm of 500 concurrent 401s in one tab with one provider call', async () => {
      const [page] = await revokedTabs(1)
      const results = await storm(page!, ids('one', 500).map((id) => `${lab.apiOrigin}/auth?id=${id}`))
      expect(results.every((r) => r.status === 200)).toBe(true)
      expect(lab.issuer.calls).toBe(1)
      for (const id of ids('one', 500)) expect(lab.api.sends(id).length).toBeLessThanOrEqual(2)
    })

    it('answers a storm spread over 3 tabs with one provider call in all', async () => {
      const tabs = await revokedTabs(3)
      for (const [t, tab] of tabs.entries()) await start(tab, ids(`tab${t}`, 200).map((id) => `${lab.apiOrigin}/auth?id=${id}`))
      const results = await Promise.all(tabs.map(collect))
      expect(results.flat().every((r) => r.status === 200)).toBe(true)
      expect(lab.issuer.calls).toBe(1)
    })

    itNeeds(lab, engine, 'stopWorkersInPlace', 'still makes one provider call when the storm hits a worker the browser had stopped', async () => {
      const tabs = await revokedTabs(2)
      await lab.stopWorkers(tabs[0]!)
      for (const [t, tab] of tabs.entries()) await start(tab, ids(`cold${t}`, 250).map((id) => `${lab.apiOrigin}/auth?id=${id}`))
      const results = await Promise.all(tabs.map(collect))
      expect(results.flat().every((r) => r.status === 200)).toBe(true)
      expect(lab.issuer.calls).toBe(1)
    })

    it('retries a stale 401 (sent with an older token than the one now held) without calling the provider', async () => {
      const [page] = await revokedTabs(1)
      await start(page!, [`${lab.apiOrigin}/auth?id=stale&ms=800`])
      await new Promise((r) => setTimeout(r, 200))
      const fresh = await lab.issuer.mint()
      await page!.evaluate((token) => (window as any).session.setToken(token), fresh)
      expect((await collect(page!))[0]!.status).toBe(200)
      expect(lab.api.sends('stale').map((s) => s.authorization)).toEqual([`Bearer ${lab.issuer.issued.at(-2)}`, `Bearer ${fresh}`])
      expect(lab.issuer.calls).toBe(0)
    })
  })
})
