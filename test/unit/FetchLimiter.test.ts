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
    const bodies = await Promise.all(urls.map((u) => limiter.fetch(() => new Request(u)).then((r) => r!.text())))
    expect(bodies).toEqual(urls)
    expect(started).toEqual(urls)
    expect(peak).toBe(3)
  })

  it('frees the slot when a fetch fails, and passes the failure on', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch')
    })
    const limiter = new FetchLimiter(1)
    const results = await Promise.allSettled([limiter.fetch(() => new Request('http://a.test/1')), limiter.fetch(() => new Request('http://a.test/2'))])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
  })

  it('builds each request when its slot comes up, so it takes what is current then', async () => {
    const release: Array<() => void> = []
    vi.stubGlobal('fetch', (request: Request) => new Promise<Response>((resolve) => release.push(() => resolve(new Response(request.headers.get('Authorization'))))))
    const limiter = new FetchLimiter(1)
    let header = 'Bearer old'
    const build = () => new Request('http://a.test/', { headers: { Authorization: header } })
    const first = limiter.fetch(build)
    const queued = limiter.fetch(build)
    header = 'Bearer new'
    release.shift()!()
    expect(await (await first)!.text()).toBe('Bearer old')
    await vi.waitFor(() => expect(release).toHaveLength(1))
    release.shift()!()
    expect(await (await queued)!.text()).toBe('Bearer new')
  })

  it('frees the slot when building the request throws, and passes the error on', async () => {
    vi.stubGlobal('fetch', async (request: Request) => new Response(request.url))
    const limiter = new FetchLimiter(1)
    const failed = limiter.fetch(() => {
      throw new TypeError('body already used')
    })
    await expect(failed).rejects.toThrow('body already used')
    expect(await (await limiter.fetch(() => new Request('http://a.test/ok')))!.text()).toBe('http://a.test/ok')
  })

  it('a build that says "not yet" gives its slot to the next request and queues again once that settles', async () => {
    const started: string[] = []
    vi.stubGlobal('fetch', async (request: Request) => (started.push(request.url), new Response(request.url)))
    const limiter = new FetchLimiter(1)
    let ready!: () => void
    const notYet = new Promise<void>((resolve) => (ready = resolve))
    let waited = false
    const deferred = limiter.fetch(() => (waited ? new Request('http://a.test/deferred') : ((waited = true), notYet)))
    const other = limiter.fetch(() => new Request('http://a.test/other'))
    expect(await (await other)!.text()).toBe('http://a.test/other')
    ready()
    expect(await (await deferred)!.text()).toBe('http://a.test/deferred')
    expect(started).toEqual(['http://a.test/other', 'http://a.test/deferred'])
  })

  it('a build that says "no longer" sends nothing, resolves with null and frees its slot', async () => {
    vi.stubGlobal('fetch', async (request: Request) => new Response(request.url))
    const limiter = new FetchLimiter(1)
    expect(await limiter.fetch(() => null)).toBeNull()
    expect(await (await limiter.fetch(() => new Request('http://a.test/next')))!.text()).toBe('http://a.test/next')
  })

  it('a request still being made in its slot (a DPoP proof being signed) holds the slot until sent, and frees it when making it fails', async () => {
    const started: string[] = []
    vi.stubGlobal('fetch', async (request: Request) => (started.push(request.url), new Response(request.url)))
    const limiter = new FetchLimiter(1)
    let sign!: () => void
    const signed = new Promise<Request>((resolve) => (sign = () => resolve(new Request('http://a.test/signed'))))
    const first = limiter.fetch(() => ({ ready: signed }))
    const second = limiter.fetch(() => new Request('http://a.test/second'))
    await new Promise((r) => setTimeout(r, 5))
    expect(started).toEqual([])
    sign()
    expect(await (await first)!.text()).toBe('http://a.test/signed')
    expect(await (await second)!.text()).toBe('http://a.test/second')
    await expect(limiter.fetch(() => ({ ready: Promise.reject(new Error('no key')) }))).rejects.toThrow('no key')
    expect(await (await limiter.fetch(() => new Request('http://a.test/after')))!.text()).toBe('http://a.test/after')
  })
})
