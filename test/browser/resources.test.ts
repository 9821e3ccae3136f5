import { afterAll, describe, expect, it } from 'vitest'
import { engines, type EngineName, type Tab } from './harness/engines/index.js'
import { AUDIENCE, booted, RESOURCE_B, type Edges, type Mark, type RealLab } from './harness/realProvider/realLab.js'
import { callB, collectBoth, refreshIn, startBoth, tokenView } from './harness/realProvider/resourceTab.js'
import { call, events, signOut, state, type Call } from './harness/realProvider/tab.js'
import { useBuiltPages, useRealLab } from './harness/realProvider/useRealLab.js'

// One token per API (issue 15) against the real OpenID Provider with resource indicators on:
// API A on one loopback origin takes the default token (AUDIENCE), API B on another takes tokens
// for RESOURCE_B, which the worker lists as `{ origin, resource }`; the oidc-client-ts page signs in
// for both, through the shipped adapter. Judged at the edges: the provider's token endpoint (which
// resource each refresh asked for), each API's log (which token reached it), each tab's session.

/** Long enough that nothing refreshes on its own mid-test (sw-bearer's leeway is 30 s). */
const TTL = 120

const pages = useBuiltPages()
const lines: string[] = []
/** The scenario just recorded, as the message of its assertions: a failure says what happened. */
let lastLine = ''

afterAll(() => {
  console.log(`two APIs, two resources (oidc-client-ts), counted since each scenario's trigger:\n${lines.join('\n')}`)
})

/** Every distinct aud each API was sent since the mark, tokens it refused included. */
function audiencesSeen(lab: RealLab, mark: Mark): { a: string[]; b: string[] } {
  const auds = (log: { aud?: string }[]) => [...new Set(log.flatMap((e) => (e.aud === undefined ? [] : [e.aud])))].sort()
  return { a: auds(lab.api.log.slice(mark.api)), b: auds(lab.apiB!.log.slice(mark.apiB)) }
}

/** One line per engine and scenario, written before the assertions so failures are counted too. */
function record(engine: EngineName, scenario: string, edges: Edges, statuses: number[]): void {
  const b = edges.apiB!
  const refreshes = Object.entries(edges.refreshesFor).map(([resource, n]) => `${resource === AUDIENCE ? 'A' : resource === RESOURCE_B ? 'B' : resource}×${n}`)
  lines.push(
    `${engine.padEnd(8)} ${scenario.padEnd(26)} token calls ${edges.tokenCalls} (refreshes ${refreshes.join(' ') || 'none'}), invalid_grant ${edges.invalidGrant}, ` +
      `grant revoked ${edges.grantRevoked}, A 200/401 ${edges.api200}/${edges.api401} (no token ${edges.api401WithoutToken}), ` +
      `B 200/401 ${b.ok}/${b.unauthorized} (no token ${b.withoutToken}) ${JSON.stringify(b.reasons)}, fetch ${statuses.join(' ')}`,
  )
  lastLine = lines.at(-1)!
}

describe.each(engines)('%s', (engine) => {
  const startLab = useRealLab(engine, pages)
  const start = () => startLab('oidc', TTL, { resources: true })

  /** A tab signed in for both APIs whose first call to each was accepted: A's token from the sign-in, B's fetched on its first use. */
  async function signedInBoth(lab: RealLab): Promise<{ tab: Tab; a: Call; b: Call }> {
    const tab = await lab.openTab()
    await lab.login(tab)
    const [a, b] = [await call(tab), await callB(tab)]
    expect([a.status, b.status]).toEqual([200, 200])
    return { tab, a, b }
  }

  it('a each API gets its own token: A the sign-in one, B one fetched for RESOURCE_B on its first call; neither is ever sent the other', async () => {
    const lab = await start()
    const tab = await lab.openTab()
    await lab.login(tab)

    const mark = lab.mark()
    const a = await call(tab)
    const b = await callB(tab)
    const again = [await call(tab), await callB(tab)]
    const edges = lab.since(mark)
    record(engine, 'a first use of each', edges, [a, b, ...again].map((r) => r.status))

    expect([a, b, ...again].map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect([a.aud, b.aud]).toEqual([AUDIENCE, RESOURCE_B])
    expect(audiencesSeen(lab, mark), lastLine).toEqual({ a: [AUDIENCE], b: [RESOURCE_B] })
    // B's token was asked for once, for RESOURCE_B, before B's first request went out: no 401 first.
    expect(edges, lastLine).toMatchObject({ tokenCalls: 1, invalidGrant: 0, api401: 0, apiB: { unauthorized: 0 } })
    expect(edges.refreshesFor, lastLine).toEqual({ [RESOURCE_B]: 1 })
    expect([again[0]!.jti, again[1]!.jti]).toEqual([a.jti, b.jti])
    expect(await tokenView(tab)).toMatchObject({ hasToken: true, aud: AUDIENCE, jti: a.jti })
    expect(await tokenView(tab, RESOURCE_B)).toMatchObject({ hasToken: true, aud: RESOURCE_B, jti: b.jti })
    expect(await tab.evaluate(() => (window as any).app.resources())).toEqual([RESOURCE_B])
  })

  it('b a token revoked at B refreshes B alone: one refresh_token grant, for RESOURCE_B; A keeps its token, after a reload too', async () => {
    const lab = await start()
    const { tab, a, b } = await signedInBoth(lab)
    lab.apiB!.revokeSeen()

    const mark = lab.mark()
    const b2 = await callB(tab)
    const a2 = await call(tab)
    const edges = lab.since(mark)
    record(engine, 'b revoked at B', edges, [b2.status, a2.status])

    expect([b2.status, a2.status]).toEqual([200, 200])
    expect(edges, lastLine).toMatchObject({ tokenCalls: 1, invalidGrant: 0, grantRevoked: 0, api401: 0, apiB: { reasons: { revoked: 1 } } })
    expect(edges.refreshesFor, lastLine).toEqual({ [RESOURCE_B]: 1 })
    expect(audiencesSeen(lab, mark), lastLine).toEqual({ a: [AUDIENCE], b: [RESOURCE_B] })
    expect(b2.jti).not.toBe(b.jti)
    expect(a2.jti).toBe(a.jti)
    expect(await tokenView(tab, RESOURCE_B)).toMatchObject({ hasToken: true, jti: b2.jti })
    expect(await tokenView(tab)).toMatchObject({ hasToken: true, jti: a.jti })

    // A new document asks its SDK for the default token at startup: B's refresh must not have
    // left B's token in the SDK's stored user, or A would now be sent it.
    await tab.reload()
    await booted(tab)
    const reloaded = lab.mark()
    const [a3, b3] = [await call(tab), await callB(tab)]
    expect([a3.status, b3.status]).toEqual([200, 200])
    expect([a3.jti, b3.jti]).toEqual([a.jti, b2.jti])
    expect(lab.since(reloaded)).toMatchObject({ tokenCalls: 0, api401: 0, apiB: { unauthorized: 0 } })
  })

  it('c four tabs call both APIs at once after a revoke at both: every fetch 200, one refresh_token grant per resource, nobody signed out', async () => {
    const lab = await start()
    const { tab } = await signedInBoth(lab)
    const tabs = [tab, await lab.openTab(), await lab.openTab(), await lab.openTab()]
    for (const t of tabs) expect([(await call(t)).status, (await callB(t)).status]).toEqual([200, 200])
    lab.api.revokeSeen()
    lab.apiB!.revokeSeen()
    // A token endpoint across the internet: the 401s of every tab arrive while a refresh is under way.
    lab.op.tokenDelayMs = 500

    const mark = lab.mark()
    // Every tab's two fetches start before any is awaited, so they overlap under WebDriver classic too.
    for (const t of tabs) await startBoth(t)
    const results = await Promise.all(tabs.map(collectBoth))
    const edges = lab.since(mark)
    record(engine, 'c 4 tabs, both revoked', edges, results.flat().map((r) => r.status))
    const signedIn = await Promise.all(
      tabs.map(async (t) => (await state(t)).sdkSignedIn && (await tokenView(t)).hasToken && (await tokenView(t, RESOURCE_B)).hasToken),
    )

    expect(results.flat().map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(results.map(([a, b]) => [a.aud, b.aud])).toEqual(Array(4).fill([AUDIENCE, RESOURCE_B]))
    expect(edges, lastLine).toMatchObject({ tokenCalls: 2, invalidGrant: 0, grantRevoked: 0 })
    expect(edges.refreshesFor, lastLine).toEqual({ [AUDIENCE]: 1, [RESOURCE_B]: 1 })
    expect(audiencesSeen(lab, mark), lastLine).toEqual({ a: [AUDIENCE], b: [RESOURCE_B] })
    expect(signedIn).toEqual([true, true, true, true])
  })

  it('d logout in one tab clears both tokens in every tab: neither API is sent a token afterwards, and nothing asks the provider', async () => {
    const lab = await start()
    const { tab } = await signedInBoth(lab)
    const tabs = [tab, await lab.openTab(), await lab.openTab()]
    for (const t of tabs) await expect.poll(() => tokenView(t, RESOURCE_B).then((v) => v.hasToken)).toBe(true)

    const mark = lab.mark()
    await signOut(tab)
    for (const t of tabs) {
      await expect.poll(() => events(t, 'logout').then((e) => e.length)).toBeGreaterThan(0)
      await expect.poll(() => tokenView(t, RESOURCE_B)).toMatchObject({ hasToken: false, jti: null })
      expect(await tokenView(t)).toMatchObject({ hasToken: false, jti: null })
      expect(await events(t, 'resourcechange')).toContainEqual(expect.objectContaining({ resource: RESOURCE_B, hasToken: false }))
    }
    const results: Call[] = []
    for (const t of tabs) results.push(await call(t), await callB(t))
    const edges = lab.since(mark)
    record(engine, 'd logout, 3 tabs', edges, results.map((r) => r.status))

    expect(results.map((r) => r.status)).toEqual(Array(6).fill(401))
    expect(edges, lastLine).toMatchObject({ tokenCalls: 0, api200: 0, api401: 3, api401WithoutToken: 3, apiB: { ok: 0, unauthorized: 3, withoutToken: 3 } })
    expect(audiencesSeen(lab, mark), lastLine).toEqual({ a: [], b: [] })
  })

  it('e the worker stops and starts again: both tokens come back from storage, and each API gets its own with no provider call', async () => {
    const lab = await start()
    const { tab, a, b } = await signedInBoth(lab)

    const mark = lab.mark()
    await lab.restartWorker(tab)
    const [a2, b2] = [await call(tab), await callB(tab)]
    const edges = lab.since(mark)
    record(engine, 'e worker restart', edges, [a2.status, b2.status])

    expect([a2.status, b2.status]).toEqual([200, 200])
    expect([a2.jti, b2.jti]).toEqual([a.jti, b.jti])
    expect(edges, lastLine).toMatchObject({ tokenCalls: 0, api401: 0, apiB: { unauthorized: 0 } })
    expect(audiencesSeen(lab, mark), lastLine).toEqual({ a: [AUDIENCE], b: [RESOURCE_B] })
    expect(await tokenView(tab, RESOURCE_B)).toMatchObject({ hasToken: true, jti: b.jti })
  })

  it("f another user signs in: B is never sent the first user's token again, and gets one for the new user", async () => {
    const lab = await start()
    const { tab, b } = await signedInBoth(lab)
    expect(b.sub).toBe('alice')

    await lab.login(tab, 'bob', { again: true })
    const mark = lab.mark()
    const [a2, b2] = [await call(tab), await callB(tab)]
    const edges = lab.since(mark)
    record(engine, 'f user switch', edges, [a2.status, b2.status])
    const subsAtB = [...new Set(lab.apiB!.log.slice(mark.apiB).map((e) => e.sub))]

    expect([a2.status, b2.status]).toEqual([200, 200])
    expect([a2.sub, b2.sub]).toEqual(['bob', 'bob'])
    expect(subsAtB, lastLine).toEqual(['bob'])
    expect(audiencesSeen(lab, mark), lastLine).toEqual({ a: [AUDIENCE], b: [RESOURCE_B] })
    expect(await tokenView(tab, RESOURCE_B)).toMatchObject({ hasToken: true, sub: 'bob', jti: b2.jti })
  })

  it('g session.refresh({ resource }) renews that token alone and every tab hears of it; a resource the worker does not list is refused', async () => {
    const lab = await start()
    const { tab, a, b } = await signedInBoth(lab)
    const other = await lab.openTab()

    const mark = lab.mark()
    expect(await refreshIn(tab, RESOURCE_B)).toBe(true)
    const fresh = await tokenView(tab, RESOURCE_B)
    await expect.poll(() => tokenView(other, RESOURCE_B).then((v) => v.jti)).toBe(fresh.jti)
    const [a2, b2] = [await call(other), await callB(other)]
    const edges = lab.since(mark)
    record(engine, 'g refresh({ resource: B })', edges, [a2.status, b2.status])

    expect(fresh).toMatchObject({ hasToken: true, aud: RESOURCE_B })
    expect(fresh.jti).not.toBe(b.jti)
    expect(edges, lastLine).toMatchObject({ tokenCalls: 1, invalidGrant: 0, api401: 0, apiB: { unauthorized: 0 } })
    expect(edges.refreshesFor, lastLine).toEqual({ [RESOURCE_B]: 1 })
    expect([a2.jti, b2.jti]).toEqual([a.jti, fresh.jti])
    expect(audiencesSeen(lab, mark), lastLine).toEqual({ a: [AUDIENCE], b: [RESOURCE_B] })
    expect(await events(other, 'resourcechange')).toContainEqual(expect.objectContaining({ resource: RESOURCE_B, hasToken: true, jti: fresh.jti }))

    const refused = await tab.evaluate(async (uri) => {
      const session = (window as any).app.session
      const codes: string[] = []
      try {
        session.resource(uri)
      } catch (e: any) {
        codes.push(e.code)
      }
      await session.refresh({ resource: uri }).catch((e: any) => codes.push(e.code))
      return codes
    }, 'https://not-listed.example.test')
    expect(refused).toEqual(['invalid-options', 'invalid-options'])
  })

  it("h a redirect from one API to the other carries no token across, and the other's 401 costs no refresh", async () => {
    const lab = await start()
    const { tab } = await signedInBoth(lab)

    const mark = lab.mark()
    const hop = (from: string, to: string) => `${from}/hop?to=${encodeURIComponent(`${to}/me`)}`
    // Plain fetches that the worker sees go to one API, and the browser follows to the other.
    const outcomes = await tab.evaluate(
      (urls) => Promise.all(urls.map((url) => fetch(url).then((r) => String(r.status), (e) => `error ${e}`))),
      [hop(lab.api.origin, lab.apiB!.origin), hop(lab.apiB!.origin, lab.api.origin)],
    )
    const edges = lab.since(mark)
    record(engine, 'h redirect A→B, B→A', edges, outcomes.map((o) => Number(o) || 0))

    // Each redirect reached the other API, or this proves nothing.
    expect([lab.apiB!.log.length > mark.apiB, lab.api.log.length > mark.api], lastLine).toEqual([true, true])
    const seen = audiencesSeen(lab, mark)
    expect(seen.a, lastLine).not.toContain(RESOURCE_B)
    expect(seen.b, lastLine).not.toContain(AUDIENCE)
    // The 401 came from the API the redirect reached: it says nothing of the token the first was sent.
    expect(edges, lastLine).toMatchObject({ tokenCalls: 0 })
  })
})
