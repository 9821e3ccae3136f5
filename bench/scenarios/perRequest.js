import { call } from '../lib/browser.js'
import { median, ratio, round, shuffled, summary } from '../lib/stats.js'
import { log, openVariant } from './common.js'

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
    for (const { page } of open) await call(page, 'sequential', 50, 0) // warm connections, preflight cache, JIT

    const times = Object.fromEntries(VARIANTS.map((v) => [v, []]))
    const failed = Object.fromEntries(VARIANTS.map((v) => [v, 0]))
    for (let r = 0; r < rounds; r++) {
      for (const { variant, page } of shuffled(open)) {
        const result = await call(page, 'sequential', perRound, 3)
        times[variant].push(...result.times)
        failed[variant] += result.failed
      }
    }
    log(`  sequential: ${rounds} rounds × ${perRound} requests per variant`)

    const totals = Object.fromEntries(VARIANTS.map((v) => [v, []]))
    for (let r = 0; r < concurrentRounds; r++) {
      for (const { variant, page } of shuffled(open)) {
        const result = await call(page, 'concurrent', concurrency, 3)
        totals[variant].push(result.ms)
        failed[variant] += result.failed
      }
    }
    log(`  concurrent: ${concurrentRounds} rounds × ${concurrency} at once per variant`)

    const routing = await call(open[2].page, 'routing', '/data')
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
