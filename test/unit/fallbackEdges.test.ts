/**
 * Review of issue 14 (the in-page fallback), through the public API where the environment allows:
 * happy-dom has no navigator.serviceWorker, so `registerTokenServiceWorker({ fallback })` runs in
 * the page, over a stub of the browser's fetch that records what would reach the network.
 * Tests marked as demonstrating a bug fail until it is fixed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isSwBearerError } from '../../common/errors.js'
import { registerTokenServiceWorker, type TokenSession } from '../../src/index.js'
import { prepareFallback } from '../../src/inPage/fallbackOptions.js'
import { TokenSession as Session } from '../../src/TokenSession.js'

const API = 'https://api.example.com'
const EVIL = 'https://evil.example'

let sent: Request[] = []
let answer: (request: Request) => Response | Promise<Response> = () => new Response('ok')
const originalFetch = globalThis.fetch
const originalXhr = globalThis.XMLHttpRequest
let sessions = 0

beforeEach(() => {
  sent = []
  answer = () => new Response('ok')
  // The browser's fetch, as the in-page mode finds it: records each request, honours its signal.
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    sent.push(request)
    if (request.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    return answer(request)
  }) as typeof fetch
})
afterEach(() => {
  globalThis.fetch = originalFetch
  globalThis.XMLHttpRequest = originalXhr
})

/** A session in the page, on a scope of its own (the tabs' channel is per scope). */
function register(getAccessToken: () => Promise<string | null>, extra: object = {}): Promise<TokenSession> {
  return registerTokenServiceWorker({ scriptURL: '/sw.js', scope: `/t${++sessions}/`, getAccessToken, fallback: { apiOrigins: [API] }, ...extra })
}

const tokensTo = (origin: string) => sent.filter((r) => new URL(r.url).origin === origin).map((r) => r.headers.get('authorization'))

describe('in-page fetch never gives the token to an unlisted origin', () => {
  it('decides on the URL the browser will fetch, not on a first reading of the input (a URL-like object read twice)', async () => {
    const session = await register(async () => 'tok')
    expect(session.mode).toBe('in-page')
    // An object whose string form changes between readings: sw-bearer reads it once to decide,
    // the Request constructor reads it again to build what is sent.
    let readings = 0
    const sneaky = { toString: () => (readings++ === 0 ? `${API}/me` : `${EVIL}/collect`) }
    await fetch(sneaky as unknown as string)
    expect(tokensTo(EVIL)).toEqual([null])
  })

  it('holds for ordinary inputs: relative, URL objects, uppercase hosts, trailing dots, userinfo, Request plus init', async () => {
    const session = await register(async () => 'tok')
    expect(session.mode).toBe('in-page')
    await fetch(new URL('https://API.EXAMPLE.COM/a'))
    await fetch('https://api.example.com./b')
    await fetch(new Request(`${EVIL}/c`), { method: 'POST', body: 'x' })
    await fetch('/relative')
    await fetch(`${API}/d`, { headers: { AUTHORIZATION: 'Basic abc' } })
    await fetch(new Request(`${API}/e`, { headers: { Authorization: 'Basic abc' } }), { headers: {} })
    await expect(fetch('https://u:p@api.example.com/f')).rejects.toThrow()
    expect(sent.map((r) => [r.url, r.headers.get('authorization')])).toEqual([
      [`${API}/a`, 'Bearer tok'],
      ['https://api.example.com./b', null],
      [`${EVIL}/c`, null],
      [`${location.origin}/relative`, null],
      [`${API}/d`, 'Basic abc'],
      [`${API}/e`, 'Bearer tok'], // init's headers replace the Request's: no Authorization of its own any more
    ])
  })
})

describe('in-page fetch and the app’s AbortSignal', () => {
  it('rejects at once when the app aborts while a 401 is being refreshed, not once the refresh ends', async () => {
    let calls = 0
    let refreshEnded = false
    const session = await register(async () => {
      if (calls++ === 0) return 'old'
      await new Promise((r) => setTimeout(r, 1500)) // a slow token endpoint
      refreshEnded = true
      return 'new'
    })
    expect(session.mode).toBe('in-page')
    answer = (request) => new Response('', { status: request.headers.get('authorization') === 'Bearer new' ? 200 : 401 })
    const controller = new AbortController()
    const pending = fetch(`${API}/me`, { signal: controller.signal }).then(
      () => 'resolved',
      (error: Error) => error.name,
    )
    setTimeout(() => controller.abort(), 100)
    const outcome = await pending
    expect(outcome).toBe('AbortError')
    // Without sw-bearer an abort settles the fetch at once; it must not wait for the provider (up to its 10 s timeout).
    expect(refreshEnded).toBe(false)
  })
})

describe('fallback options', () => {
  it('refuses a timeoutMs that setTimeout cannot hold (over 2^31-1 ms fires at once) or null', async () => {
    const codes = []
    for (const timeoutMs of [2 ** 31, 1e12, null]) {
      try {
        prepareFallback({ apiOrigins: [API], timeoutMs: timeoutMs as number }, `${location.origin}/`)
        codes.push('accepted')
      } catch (error) {
        codes.push(isSwBearerError(error) ? error.code : String(error))
      }
    }
    expect(codes).toEqual(['invalid-options', 'invalid-options', 'invalid-options'])
  })

  it('gives invalid-options, synchronously checked, for malformed fallbacks', async () => {
    const bad = [null, [], 'x', { apiOrigins: [] }, { apiOrigins: 'https://a.b' }, { apiOrigins: ['https://a.b/path'] }, { apiOrigins: ['ftp://a.b'] },
      { apiOrigins: [API], authRoutes: '/x' }, { apiOrigins: [API], authRoutes: [`${EVIL}/x`] },
      { apiOrigins: [API], authRoutes: [API] }, { apiOrigins: [API], timeoutMs: -1 }, { apiOrigins: [API], timeoutMs: '5' }, { apiOrigins: [API], timeoutMs: Infinity }]
    for (const fallback of bad) {
      const error = await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: async () => 't', fallback: fallback as never }).then(() => null, (e) => e)
      expect(isSwBearerError(error) && error.code, JSON.stringify(fallback)).toBe('invalid-options')
    }
    expect(sent).toEqual([])
  })
})

describe('fallback.apiOrigins with a wildcard', () => {
  it('is invalid-options, as the README says ("exact origins; no paths, no wildcards"), not an origin that never matches', async () => {
    const error = await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: async () => 't', fallback: { apiOrigins: ['https://*.example.com'] } }).then(
      (session) => session.mode,
      (e) => (isSwBearerError(e) ? e.code : String(e)),
    )
    expect(error).toBe('invalid-options')
  })
})

describe('inspect() with odd input', () => {
  it('answers or says invalid-options, and never throws anything else', async () => {
    const session = await register(async () => 'tok')
    for (const input of ['http://[', 'https://']) {
      const error = await session.inspect(input).then(() => null, (e) => e)
      expect(isSwBearerError(error) && error.code, input).toBe('invalid-options')
    }
    expect((await session.inspect(`${API}/x?code=secret`)).request).toMatchObject({ getsToken: true })
    expect((await session.inspect('https://api.example.com:444/x')).request).toMatchObject({ getsToken: false, reason: 'near-miss', nearMiss: API })
    expect((await session.inspect(`${API}/.well-known/openid-configuration`)).request).toMatchObject({ getsToken: false, reason: 'auth-route' })
  })
})

describe('debug output', () => {
  it('never prints a token or a query, through inject, near miss, own Authorization, 401 → refresh → retry and a failed refresh', async () => {
    const lines: string[] = []
    const spies = (['debug', 'warn', 'log', 'info', 'error'] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
    )
    try {
      let n = 0
      const session = await register(async () => {
        if (++n === 3) throw new Error(`provider down, last token tok${n - 1}`)
        return `tok${n}`
      }, { debug: true })
      const decisions: string[] = []
      session.addEventListener('decision', (e) => decisions.push(JSON.stringify(e.detail.decision)))
      answer = (request) => new Response('', { status: request.url.includes('/401') ? 401 : 200 })
      await fetch(`${API}/me?code=SECRET`)
      await fetch('https://api.example.com:8443/near?code=SECRET')
      await fetch(`${API}/own?code=SECRET`, { headers: { authorization: 'Basic SECRET' } })
      await fetch(`${API}/401?code=SECRET`) // refresh (tok2) and retry
      await fetch(`${API}/401?code=SECRET`) // refresh fails
      expect(decisions.length).toBeGreaterThan(5)
      for (const line of [...lines, ...decisions]) {
        expect(line).not.toMatch(/tok\d|SECRET|\?code/)
      }
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})

describe('inspect() when signed out', () => {
  it('does not say a plain fetch gets the token when there is none (README: "whether a plain fetch(url) gets the token")', async () => {
    const session = await register(async () => null)
    expect(session.hasToken).toBe(false)
    await fetch(`${API}/me`)
    expect(tokensTo(API)).toEqual([null])
    expect((await session.inspect(`${API}/me`)).request).toMatchObject({ getsToken: false, reason: 'signed-out' })
  })
})

describe('in-page mode and resources: the same apiOrigins list as the worker', () => {
  it('takes { origin, resource } entries and sends their origin no token, never the default one; resource() says so', async () => {
    const BILLING = 'https://billing.example.com'
    const session = await register(async () => 'default-token', { fallback: { apiOrigins: [API, { origin: BILLING, resource: `${BILLING}/` }] } })
    await fetch(`${API}/me`)
    await fetch(`${BILLING}/invoices`)
    expect(tokensTo(API)).toEqual(['Bearer default-token'])
    expect(tokensTo(BILLING)).toEqual([null])
    expect(session.resources).toEqual([])
    expect(() => session.resource(`${BILLING}/`)).toThrow(expect.objectContaining({ code: 'invalid-options' }))
    await expect(session.refresh({ resource: `${BILLING}/` })).rejects.toMatchObject({ code: 'invalid-options' })
  })
})

describe('a worker gone for good: the session moves into the page', () => {
  it('fires no logout when another message (inspect, a visibility check) meets the move', async () => {
    const fallback = prepareFallback({ apiOrigins: [API] }, `${location.origin}/moving/`)
    const gone = Object.assign(new Error('gone'), { code: 'registration-failed' })
    const session = new Session(async () => 'tok', () => null, () => Promise.reject(gone), { debug: false, inPage: fallback.start })
    // The worker held the session: a token, the app listening.
    session.applyState({ claims: null, hasToken: true, stamp: 4, cause: 'load' })
    session.ready()
    const seen: string[] = []
    for (const type of ['logout', 'tokenchange', 'modechange']) session.addEventListener(type, () => seen.push(type))
    // What registerTokenServiceWorker does on controllerchange, and an app calling inspect() meanwhile.
    const { pageMessage } = await import('../../common/protocol.js')
    await Promise.all([session.exchange(pageMessage('start', {})), session.inspect()])
    expect(session.mode).toBe('in-page')
    expect(session.hasToken).toBe(true)
    expect(seen).not.toContain('logout')
  })
})
