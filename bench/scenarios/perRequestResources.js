import { ratio, round, summary, trimmedMean } from '../lib/stats.js'
import { log, openVariant, sequentialRounds, spread } from './common.js'

/** Row 1's (b) and (c) on one API, and the same two on two APIs, all four in the same rounds. */
const VARIANTS = ['passthrough', 'bearer', 'passthroughTwo', 'bearerTwo']
const PAIRS = { one: ['bearer', 'passthrough'], two: ['bearerTwo', 'passthroughTwo'] }

/**
 * 1r. What each API request costs when the worker holds two tokens (issue 15): sw-bearer's worker
 * lists the API as a plain origin (the default token) and a second API, another origin, as
 * `{ origin, resource }` (a token of its own, in a room of its own). The page's plain fetches take
 * turns between the two, so every round pays for both rooms, and the passthrough worker (b) sends
 * the same requests in the same turns. Beside them, row 1's (b) and (c) on the one API, in the same
 * shuffled rounds, so the two c/b ratios meet the same machine.
 */
export async function perRequestResources(env, { rounds, perRound }) {
  const open = []
  try {
    // The first request to the second API, before anything else reached it: sw-bearer fetches the
    // resource's token there (through the page's getter, a provider call), the passthrough does not.
    const firstToSecond = {}
    let bearerTwoProviderCalls = 0
    for (const variant of VARIANTS) {
      const callsBefore = env.provider.calls
      const opened = await openVariant(env, variant)
      open.push(opened)
      if (PAIRS.two.includes(variant)) firstToSecond[variant] = await opened.page.call('oneSecond')
      if (variant === 'bearerTwo') bearerTwoProviderCalls = env.provider.calls - callsBefore
    }
    for (const { page } of open) await page.call('sequential', 50, 0) // warm connections, preflight cache, JIT

    // Two-API variants: even samples went to the first API (default token), odd to the second (resource).
    const byOrigin = Object.fromEntries(PAIRS.two.map((v) => [v, { default: [], resource: [] }]))
    const { times, failed, p50s } = await sequentialRounds(open, rounds, perRound, (variant, result) => {
      if (byOrigin[variant]) result.times.forEach((ms, i) => byOrigin[variant][i % 2 === 0 ? 'default' : 'resource'].push(ms))
    })
    const roundRatios = Object.fromEntries(Object.entries(PAIRS).map(([pair, [c, b]]) => [pair, p50s.map((p) => ratio(p[c], p[b]))]))
    log(`  sequential: ${rounds} rounds × ${perRound} requests per variant (two-API variants: ${perRound / 2} to each)`)

    // What the row claims: sw-bearer sent each API a token of its own, and the same one throughout.
    const bearerTwo = open[VARIANTS.indexOf('bearerTwo')].page
    const seenDefault = env.api.watchTokens()
    const seenResource = env.resourceApi.watchTokens()
    let check
    try {
      check = await bearerTwo.call('sequential', 4, 0)
    } finally {
      env.api.unwatchTokens()
      env.resourceApi.unwatchTokens()
    }
    const shared = [...seenDefault].some((token) => seenResource.has(token))
    const tokens = {
      atDefaultOrigin: seenDefault.size,
      atResourceOrigin: seenResource.size,
      shared,
      ok: seenDefault.size === 1 && seenResource.size === 1 && !shared && check.failed === 0,
    }
    // Chromium's only, as in row 1: how resource timing saw the last request to the second API.
    const routing = env.engine === 'chromium' ? await bearerTwo.call('routing', env.resourceApiURL) : null

    // Beside p50 and p90, the 10 %-trimmed mean: p50s move in whole 0.1 ms ticks of the page's clock
    // (a tick is 5 % of a 2 ms request), a mean of many ticked samples does not.
    const sequential = Object.fromEntries(VARIANTS.map((v) => [v, { ...summary(times[v]), trimmedMean: round(trimmedMean(times[v]), 3) }]))
    const origins = Object.fromEntries(
      PAIRS.two.map((v) => [v, { default: summary(byOrigin[v].default), resource: summary(byOrigin[v].resource) }]),
    )
    const s = sequential
    return {
      sequential,
      byOrigin: origins,
      failed,
      firstRequestToResourceOrigin: { ...firstToSecond, bearerTwoProviderCalls },
      tokens,
      routing,
      ratios: {
        sequentialP50: {
          one: ratio(s.bearer.p50, s.passthrough.p50),
          two: ratio(s.bearerTwo.p50, s.passthroughTwo.p50),
          twoDefaultOrigin: ratio(origins.bearerTwo.default.p50, origins.passthroughTwo.default.p50),
          twoResourceOrigin: ratio(origins.bearerTwo.resource.p50, origins.passthroughTwo.resource.p50),
        },
        perRoundP50: { one: spread(roundRatios.one), two: spread(roundRatios.two), rounds: roundRatios },
        sequentialP90: { one: ratio(s.bearer.p90, s.passthrough.p90), two: ratio(s.bearerTwo.p90, s.passthroughTwo.p90) },
        trimmedMean: { one: ratio(s.bearer.trimmedMean, s.passthrough.trimmedMean), two: ratio(s.bearerTwo.trimmedMean, s.passthroughTwo.trimmedMean) },
        // What sw-bearer adds to a request over the passthrough worker, in ms of trimmed mean.
        addedMs: { one: round(s.bearer.trimmedMean - s.passthrough.trimmedMean, 3), two: round(s.bearerTwo.trimmedMean - s.passthroughTwo.trimmedMean, 3) },
      },
    }
  } finally {
    await Promise.all(open.map(({ context }) => context.close()))
  }
}
