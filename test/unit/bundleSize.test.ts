// @vitest-environment node
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// The bench measures and runs these very bundles; one definition keeps the two honest.
import { bundleChunks, bundleEntries, CONSUMER_ENTRIES, transferSizes } from '../../bench/lib/bundles.js'

// Budgets in gzip bytes. Sizes are deterministic, unlike times, so they are asserted
// here; the bench reports them beside its timings. Issue 5 set 6 KB for the worker;
// issue 10 raised it to 7 KB for startup through the single flight, recognising the
// SDK's own token traffic and judging expiry on the issuer's clock (6.8 KB then); issue 11
// to 7.5 KB for every method, lost storage, and one flight across a deploy (7.05 KB then).
// Issue 13 to 8 KB for routing inside an app's own Workbox router and a strategy plugin (8.04 KB
// then); 8.25 KB for the known tabs standing in for a tab list a stuck tab holds (8.2 KB then).
// Issue 14 to 9.25 KB (9.14 KB then): the one rule shared with the page's in-page mode (classify,
// and naming a near miss for inspect()), and the debug switch: each decision reported to the
// worker's console and the requesting tab, and a near miss warned of in development.
// 9.5 KB (9.3 KB then, 9.45 KB after) for a startup ask that waits until another tab's refresh can
// have reached its SDK's storage, and for keeping an API answer's body whole across a deploy.
// Issue 15 to 10.75 KB (10.5 KB then): a token per resource (RFC 8707), each in its own room
// (state, single flight, expiry, backoff), tied to the default token's sign-in.
// Issue 16 to 12.25 KB (12.01 KB then): DPoP proofs signed per request (RFC 9449), nonces per
// origin and the nonce challenge's retry, the bound key kept in IndexedDB. 12.5 KB (12.49 KB) for
// issue 15's review: a resource's "nobody" confirmed by the default's getter, no room taking
// another's token, a logout deleting every resource token at rest. 12.75 KB (12.52 KB) for never
// holding a token whose claims say it is DPoP-bound (cnf.jkt) as a Bearer one.
const SW_BUDGET = 12.75 * 1024
// Issue 13 to 3.25 KB for telling a worker that never answers as sw-bearer apart (3.07 KB then).
// Issue 14 to 5.75 KB (5.63 KB then), counted as what the page loads before it runs (the entry
// and the chunks it imports statically, each gzipped as served): session.mode and inspect(),
// moving to a worker that takes control late, the debug output and its parsing, and the
// bundler's loader for the in-page fallback, which is a chunk of its own (FALLBACK_BUDGET),
// fetched only by apps that pass `fallback`.
// Issue 15 to 6.25 KB (6.19 KB then), and the fallback to 5.5 KB (5.38 KB then): each resource's
// state in every tab, `refresh({ resource })`, and `{ origin, resource }` entries parsed on both sides.
// Issue 16 to 6.75 KB (6.57 KB then): a getter's DPoP credential checked (a non-extractable key pair);
// 7 KB (6.9 KB) for never taking a token whose claims say it is DPoP-bound as a Bearer one (cnf.jkt).
const PAGE_BUDGET = 7 * 1024
// 5.75 KB (5.53 KB then): the fallback refuses the lists the worker refuses (issue 15's review).
const FALLBACK_BUDGET = 5.75 * 1024

let dir: string
let gzip: Record<string, number>
let page: { loaded: number; lazy: number }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sw-bearer-size-'))
  const bundles: Record<string, Buffer> = await bundleEntries(CONSUMER_ENTRIES, dir)
  gzip = Object.fromEntries(Object.entries(bundles).map(([name, bytes]) => [name, gzipSync(bytes, { level: 9 }).length]))
  page = transferSizes(bundles.page!, await bundleChunks(dir))
}, 60_000)

afterAll(() => rm(dir, { recursive: true, force: true }))

describe("a consumer's bundles, minified for production and gzipped", () => {
  it(`keeps the service worker (installTokenInjection with workbox, idb and jose) within ${SW_BUDGET} bytes`, () => {
    expect(gzip.sw).toBeLessThanOrEqual(SW_BUDGET)
  })

  it(`keeps the page side (registerTokenServiceWorker) within ${PAGE_BUDGET} bytes, loaded before it runs`, () => {
    expect(page.loaded).toBeLessThanOrEqual(PAGE_BUDGET)
  })

  it(`keeps the in-page fallback, a chunk only apps that pass it fetch, within ${FALLBACK_BUDGET} bytes`, () => {
    expect(page.lazy).toBeGreaterThan(0)
    expect(page.lazy).toBeLessThanOrEqual(FALLBACK_BUDGET)
  })
})
