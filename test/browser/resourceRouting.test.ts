import { describe, expect, it } from 'vitest'
import { engines } from './harness/engines/index.js'
import { call } from './harness/page.js'
import { useLab } from './harness/useLab.js'

// Issue 15 through the lab's API servers: the second one listed as a resource's origin. The lab's
// getter marks a resource's token ('resource.<token>'), so what reached each origin tells which
// token it was. The real provider's audiences are in resources.test.ts.
const RESOURCE = 'https://other.example.test/'

describe.each(engines)('%s', (engine) => {
  const lab = useLab({ engine })
  const listBoth = () => (lab.swOptions = { ...lab.defaultSwOptions(), apiOrigins: [lab.apiOrigin, { origin: lab.otherOrigin, resource: RESOURCE }] })
  const resourceAsks = (page: Awaited<ReturnType<typeof lab.signedInTab>>) =>
    page.evaluate((r) => (window as any).contexts.filter((c: any) => c?.resource === r).length, RESOURCE)

  it("each origin gets its own resource's token, and a redirect from one API to the other carries neither", async () => {
    listBoth()
    const page = await lab.signedInTab(await lab.context())
    expect((await call(page, `${lab.apiOrigin}/echo?id=a`)).status).toBe(200)
    expect((await call(page, `${lab.otherOrigin}/echo?id=b`)).status).toBe(200)
    const [a] = lab.api.sends('a')
    const [b] = lab.other.sends('b')
    expect(a?.authorization).toMatch(/^Bearer (?!resource\.)/)
    expect(b?.authorization).toBe(`Bearer resource.${a!.authorization!.slice(7)}`)
    expect(await resourceAsks(page)).toBe(1)

    // Fetch drops Authorization on a cross-origin redirect; neither token may survive the hop.
    const toOther = `${lab.otherOrigin}/echo?id=b-redirected`
    expect((await call(page, `${lab.apiOrigin}/redirect?id=a-hop&to=${encodeURIComponent(toOther)}`)).status).toBe(200)
    const toApi = `${lab.apiOrigin}/echo?id=a-redirected`
    expect((await call(page, `${lab.otherOrigin}/redirect?id=b-hop&to=${encodeURIComponent(toApi)}`)).status).toBe(200)
    expect(lab.api.sends('a-hop')[0]?.authorization).toBe(a!.authorization)
    expect(lab.other.sends('b-hop')[0]?.authorization).toBe(b!.authorization)
    expect(lab.other.sends('b-redirected')[0]?.authorization).toBeUndefined()
    expect(lab.api.sends('a-redirected')[0]?.authorization).toBeUndefined()
    const view = await page.evaluate((r) => (window as any).session.resource(r), RESOURCE)
    expect(view).toEqual({ claims: null, hasToken: true })
  })

  it("a resource's first use asks the getter once, with its resource, however many requests start together", async () => {
    listBoth()
    const page = await lab.signedInTab(await lab.context())
    expect(await resourceAsks(page)).toBe(0) // startup fetches only the default token
    const urls = Array.from({ length: 20 }, (_, i) => `${lab.otherOrigin}/echo?id=first-${i}`)
    const results = await page.evaluate((list) => (window as any).callMany(list), urls)
    expect(results.map((r: { status: number }) => r.status)).toEqual(urls.map(() => 200))
    expect(await resourceAsks(page)).toBe(1)
    expect(new Set(lab.other.hits.map((h) => h.authorization))).toEqual(new Set([expect.stringMatching(/^Bearer resource\./)]))
  })

  it("logout clears the resource's token too: its origin then gets none, and nobody is asked for it", async () => {
    listBoth()
    const page = await lab.signedInTab(await lab.context())
    await call(page, `${lab.otherOrigin}/echo?id=before`)
    expect(lab.other.sends('before')[0]?.authorization).toMatch(/^Bearer resource\./)
    await page.evaluate(() => (window as any).session.logout())
    expect(await page.evaluate((r) => (window as any).session.resource(r), RESOURCE)).toEqual({ claims: null, hasToken: false })
    await call(page, `${lab.otherOrigin}/echo?id=after`)
    expect(lab.other.sends('after')[0]?.authorization).toBeUndefined()
    expect(await resourceAsks(page)).toBe(1)
  })

  it("one resource's failing provider stops no other refresh: the default token is still refreshed on a 401", async () => {
    listBoth()
    const page = await lab.signedInTab(await lab.context())
    await page.evaluate(() => ((window as any).failResources = true))
    // Its first use fails (nothing to send: the request goes bare, the API answers 401), twice.
    expect((await call(page, `${lab.otherOrigin}/auth?id=b1`)).status).toBe(401)
    expect((await call(page, `${lab.otherOrigin}/auth?id=b2`)).status).toBe(401)
    lab.issuer.revokeAll()
    const before = lab.issuer.calls
    expect((await call(page, `${lab.apiOrigin}/auth?id=a`)).status).toBe(200)
    expect(lab.issuer.calls - before).toBe(1)
    expect(lab.api.sends('a').map((h) => h.authorization !== undefined)).toEqual([true, true])
  })
})
