import { median, quantile, ratio, round, shuffled, summary } from '../lib/stats.js'
import { log, openVariant, sequentialRounds } from './common.js'

const VARIANTS = ['floor', 'passthrough', 'bearer']

/**
 * 1. What each API request costs: (a) no worker, the page sets the header; (b) a
 * worker that only passes requests through; (c) sw-bearer. Rounds interleave the
 * variants in a fresh order each time, so drift in the machine hits all three.
 */
export async function perRequest(env, { rounds, perRound, concurrentRounds, concurrency }) {
  const open = []
  try {
    for (const variant of VARIANTS) open.push(await openVariant(env, variant))
    for (const { page } of open) await page.call('sequential', 50, 0) // warm connections, preflight cache, JIT

    const { times, failed, p50s } = await sequentialRounds(open, rounds, perRound)
    // c/b within each round: how much the headline ratio moves with the machine's noise.
    const roundRatios = { cOverA: p50s.map((p) => ratio(p.bearer, p.floor)), cOverB: p50s.map((p) => ratio(p.bearer, p.passthrough)) }
    log(`  sequential: ${rounds} rounds × ${perRound} requests per variant`)

    const totals = Object.fromEntries(VARIANTS.map((v) => [v, []]))
    for (let r = 0; r < concurrentRounds; r++) {
      for (const { variant, page } of shuffled(open)) {
        const result = await page.call('concurrent', concurrency, 3)
        totals[variant].push(result.ms)
        failed[variant] += result.failed
      }
    }
    log(`  concurrent: ${concurrentRounds} rounds × ${concurrency} at once per variant`)

    // How resource timing saw sw-bearer's last API request. Chromium's answer only: the static-
    // routing fields are its own, and Firefox leaves workerStart 0 for this cross-origin request
    // although its worker answers it (the API gets sw-bearer's token on a plain fetch).
    const routing = env.engine === 'chromium' ? await open[2].page.call('routing', '/data') : null
    const sequential = Object.fromEntries(VARIANTS.map((v) => [v, summary(times[v])]))
    const concurrent = Object.fromEntries(
      VARIANTS.map((v) => [v, { rounds: totals[v].length, medianTotalMs: round(median(totals[v])), totalsMs: totals[v] }]),
    )
    const { floor: a, passthrough: b, bearer: c } = sequential
    return {
      sequential,
      concurrent,
      failed,
      routing,
      ratios: {
        sequentialP50: { cOverA: ratio(c.p50, a.p50), cOverB: ratio(c.p50, b.p50), bOverA: ratio(b.p50, a.p50) },
        perRoundP50: {
          cOverB: { median: round(median(roundRatios.cOverB), 3), p25: round(quantile(roundRatios.cOverB, 0.25), 3), p75: round(quantile(roundRatios.cOverB, 0.75), 3) },
          cOverA: { median: round(median(roundRatios.cOverA), 3), p25: round(quantile(roundRatios.cOverA, 0.25), 3), p75: round(quantile(roundRatios.cOverA, 0.75), 3) },
          rounds: roundRatios,
        },
        sequentialP90: { cOverA: ratio(c.p90, a.p90), cOverB: ratio(c.p90, b.p90) },
        concurrent: {
          cOverA: ratio(concurrent.bearer.medianTotalMs, concurrent.floor.medianTotalMs),
          cOverB: ratio(concurrent.bearer.medianTotalMs, concurrent.passthrough.medianTotalMs),
        },
      },
    }
  } finally {
    await Promise.all(open.map(({ context }) => context.close()))
  }
}
