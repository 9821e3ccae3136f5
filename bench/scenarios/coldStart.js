import { median, ratio, round, shuffled } from '../lib/stats.js'
import { log, openVariant } from './common.js'

const VARIANTS = ['passthrough', 'bearer']

/**
 * 4. The first API request after the browser stopped the worker: it pays for
 * starting the worker (and, for sw-bearer, reading the token back from
 * IndexedDB). The request right after it shows the warm cost beside it.
 */
export async function coldStart(env, { iterations }) {
  const open = []
  try {
    for (const variant of VARIANTS) open.push(await openVariant(env, variant))
    for (const { page } of open) await page.call('sequential', 20, 0)
    const samples = Object.fromEntries(VARIANTS.map((v) => [v, { cold: [], warm: [] }]))
    let failed = 0
    for (let i = 0; i < iterations; i++) {
      for (const { variant, context, page } of shuffled(open)) {
        await context.stopWorkers(page)
        const cold = await page.call('one')
        const warm = await page.call('one')
        if (cold.status !== 200 || warm.status !== 200) failed++
        samples[variant].cold.push(cold.ms)
        samples[variant].warm.push(warm.ms)
      }
    }
    log(`  cold start: ${iterations} stops per variant`)
    const out = Object.fromEntries(
      VARIANTS.map((v) => {
        const cold = median(samples[v].cold)
        const warm = median(samples[v].warm)
        return [v, { medianColdMs: round(cold), medianWarmMs: round(warm), medianStartupMs: round(cold - warm), ...samples[v] }]
      }),
    )
    return { ...out, failed, coldRatio: ratio(out.bearer.medianColdMs, out.passthrough.medianColdMs) }
  } finally {
    await Promise.all(open.map(({ context }) => context.close()))
  }
}
