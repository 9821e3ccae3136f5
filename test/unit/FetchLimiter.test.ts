import { afterEach, describe, expect, it, vi } from 'vitest'
import { FetchLimiter } from '../../sw/FetchLimiter.js'

describe('FetchLimiter', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('never has more than its limit in flight, and lets every request through in order', async () => {
    let inFlight = 0
    let peak = 0
    const started: string[] = []
    vi.stubGlobal('fetch', async (request: Request) => {
      started.push(request.url)
      peak = Math.max(peak, ++inFlight)
      await new Promise((r) => setTimeout(r, 1))
      inFlight--
      return new Response(request.url)
    })
    const limiter = new FetchLimiter(3)
    const urls = Array.from({ length: 20 }, (_, i) => `http://a.test/${i}`)
    const bodies = await Promise.all(urls.map((u) => limiter.fetch(new Request(u)).then((r) => r.text())))
    expect(bodies).toEqual(urls)
    expect(started).toEqual(urls)
    expect(peak).toBe(3)
  })

  it('frees the slot when a fetch fails, and passes the failure on', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch')
    })
    const limiter = new FetchLimiter(1)
    const results = await Promise.allSettled([limiter.fetch(new Request('http://a.test/1')), limiter.fetch(new Request('http://a.test/2'))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })
})
