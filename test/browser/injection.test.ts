import { describe, expect, it } from 'vitest'
import { call, type Result } from './harness/page.js'
import { engines } from './harness/engines/index.js'
import { useLab } from './harness/useLab.js'

const echoed = (result: Result) => JSON.parse(result.body) as { method: string; authorization: string | null; contentType: string | null; bodyBase64: string }

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })

  describe('a request to a configured API origin', () => {
    it('carries the bearer token, from fetch and from XMLHttpRequest', async () => {
      const page = await lab.signedInTab(await lab.context())
      const token = lab.issuer.issued.at(-1)!
      const viaXhr = await page.evaluate((url) => (window as any).xhr(url), `${lab.apiOrigin}/echo`)
      expect(echoed(await call(page, `${lab.apiOrigin}/echo`)).authorization).toBe(`Bearer ${token}`)
      expect(echoed(viaXhr).authorization).toBe(`Bearer ${token}`)
    })

    it('keeps every method, body, content type and header, and adds only Authorization', async () => {
      const page = await lab.signedInTab(await lab.context())
      const token = lab.issuer.issued.at(-1)!
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        const hasBody = method !== 'GET' && method !== 'HEAD'
        const init: RequestInit = hasBody
          ? { method, body: `{"m":"${method}"}`, headers: { 'Content-Type': 'application/json', 'X-Test': 'kept' } }
          : { method, headers: { 'X-Test': 'kept' } }
        const result = await call(page, `${lab.apiOrigin}/echo?id=${method}`, init)
        expect(result.status, method).toBe(200)
        const [hit] = lab.api.sends(method)
        expect(hit?.method).toBe(method)
        expect(hit?.authorization).toBe(`Bearer ${token}`)
        if (hasBody) {
          expect(hit?.body.toString()).toBe(`{"m":"${method}"}`)
          expect(hit?.contentType).toBe('application/json')
        }
      }
    })

    it('gives the token to every method, extension ones too (WebDAV, HTTP QUERY, OPTIONS), and refreshes on their 401', async () => {
      const page = await lab.signedInTab(await lab.context())
      // Node's HTTP parser knows a fixed set of methods, so the lab's API can only see these.
      const methods = ['PROPFIND', 'REPORT', 'SEARCH', 'QUERY', 'OPTIONS', 'MKCALENDAR']
      for (const method of methods) {
        const init: RequestInit = method === 'OPTIONS' ? { method } : { method, body: `<${method}/>`, headers: { 'Content-Type': 'application/xml' } }
        expect((await call(page, `${lab.apiOrigin}/echo?id=${method}`, init)).status, method).toBe(200)
        const [hit] = lab.api.sends(method)
        expect(hit?.method).toBe(method)
        expect(hit?.authorization).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
        if (method !== 'OPTIONS') expect(hit?.body.toString()).toBe(`<${method}/>`)
      }
      lab.issuer.revokeAll()
      const result = await call(page, `${lab.apiOrigin}/auth?id=propfind-401`, { method: 'PROPFIND', body: '<p/>' })
      expect(result.status).toBe(200)
      expect(lab.api.sends('propfind-401').map((h) => [h.method, h.body.toString()])).toEqual([
        ['PROPFIND', '<p/>'],
        ['PROPFIND', '<p/>'],
      ])
    })

    it('keeps the credentials mode: cookies go along only when the page asked for them', async () => {
      // Same site as the page (localhost, another port), so the browser's cookie rules allow them at all.
      const api = `http://localhost:${lab.api.port}`
      lab.swOptions = { apiOrigins: [api] }
      const context = await lab.context()
      await context.addCookies([{ name: 'c', value: '1', url: api }])
      const page = await lab.signedInTab(context)
      await page.evaluate(
        (url) =>
          new Promise((resolve) => {
            const request = new XMLHttpRequest()
            request.open('GET', url)
            request.withCredentials = true
            request.onloadend = resolve
            request.send()
          }),
        `${api}/echo?id=xhr-cred`,
      )
      await call(page, `${api}/echo?id=include`, { credentials: 'include' })
      await call(page, `${api}/echo?id=omit`, { credentials: 'omit' })
      await call(page, `${api}/echo?id=same-origin`)
      const bearer = expect.stringMatching(/^Bearer /)
      expect(lab.api.sends('xhr-cred')[0]).toMatchObject({ cookie: 'c=1', authorization: bearer })
      expect(lab.api.sends('include')[0]).toMatchObject({ cookie: 'c=1', authorization: bearer })
      expect(lab.api.sends('omit')[0]).toMatchObject({ cookie: undefined, authorization: bearer })
      expect(lab.api.sends('same-origin')[0]).toMatchObject({ cookie: undefined, authorization: bearer })
    })
  })

  describe('requests sw-bearer leaves alone', () => {
    it('gives no token to another port, another host for the same address, or lookalike hosts', async () => {
      lab.swOptions = { apiOrigins: [`http://api.sw-bearer.test:${lab.api.port}`] }
      const page = await lab.signedInTab(await lab.context())
      const port = lab.api.port
      const configured = await call(page, `http://api.sw-bearer.test:${port}/echo`)
      expect(echoed(configured).authorization).toMatch(/^Bearer /)
      const others = [
        `http://api.sw-bearer.test.evil.test:${port}/echo`,
        `http://evilapi.sw-bearer.test:${port}/echo`,
        `http://x.api.sw-bearer.test:${port}/echo`,
        `http://127.0.0.1:${port}/echo`,
        `http://localhost:${port}/echo`,
        `http://api.sw-bearer.test:${lab.other.port}/echo`,
      ]
      for (const url of others) expect(echoed(await call(page, url)).authorization, url).toBeNull()
      // fetch() refuses URLs with userinfo; XHR takes them, so the trick is tried there.
      const withUserinfo = await page.evaluate(
        (url) => (window as any).xhr(url),
        `http://api.sw-bearer.test:x@api.sw-bearer.test.evil.test:${port}/echo`,
      )
      expect(echoed(withUserinfo).authorization).toBeNull()
      expect(lab.api.withToken().map((h) => h.host)).toEqual([`api.sw-bearer.test:${port}`])
      expect(lab.other.withToken()).toEqual([])
    })

    it('keeps an Authorization header the page set itself', async () => {
      const page = await lab.signedInTab(await lab.context())
      const result = await call(page, `${lab.apiOrigin}/echo`, { headers: { Authorization: 'Basic dTpw' } })
      expect(echoed(result).authorization).toBe('Basic dTpw')
    })

    it('sends no token with navigations or no-cors requests to the API origin', async () => {
      const context = await lab.context()
      const page = await lab.signedInTab(context)
      await call(page, `${lab.apiOrigin}/echo?id=no-cors`, { mode: 'no-cors' })
      await page.evaluate(
        (url) => new Promise((resolve) => Object.assign(document.createElement('img'), { src: url, onerror: resolve, onload: resolve })),
        `${lab.apiOrigin}/echo?id=img`,
      )
      await page.goto(`${lab.apiOrigin}/echo?id=nav`)
      expect(lab.api.sends('no-cors')[0]?.authorization).toBeUndefined()
      expect(lab.api.sends('img')[0]?.authorization).toBeUndefined()
      expect(lab.api.sends('nav')[0]?.authorization).toBeUndefined()
    })

    it('never lets the token follow a redirect to an unlisted origin', async () => {
      const page = await lab.signedInTab(await lab.context())
      const unlisted = `${lab.otherOrigin}/echo?id=redirected`
      const viaApi = `${lab.apiOrigin}/redirect?id=hop&to=${encodeURIComponent(unlisted)}`
      const twoHops = `${lab.apiOrigin}/redirect?id=hop1&to=${encodeURIComponent(viaApi)}`
      const result = await call(page, twoHops)
      expect(result.status).toBe(200)
      expect(lab.api.sends('hop1')[0]?.authorization).toMatch(/^Bearer /)
      expect(lab.other.sends('redirected')).toHaveLength(1)
      expect(lab.other.withToken()).toEqual([])
    })
  })
})
