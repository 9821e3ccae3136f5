import { ratio, shuffled, summary } from '../lib/stats.js'
import { log, openVariant } from './common.js'

const VARIANTS = ['floor', 'passthrough', 'routed', 'bearer', 'bearerRouted']

/**
 * 2. Same-origin requests that are none of the API's business: with sw-bearer they
 * should cost what they cost without any worker. For scale: a worker that handles
 * them (passthrough), and one that routes them to the network with the Static
 * Routing API and does nothing else (routed), the least a controlled page pays.
 * sw-bearer by default (every request reaches its fetch event, where the app's other handlers
 * may want it) and with routeOthersToNetwork (bearerRouted).
 */
export async function nonApi(env, { rounds, perRound }) {
  const open = []
  try {
    for (const variant of VARIANTS) open.push(await openVariant(env, variant))
    for (const { page } of open) await page.call('assets', 50, 0)
    const times = Object.fromEntries(VARIANTS.map((v) => [v, []]))
    let failed = 0
    for (let r = 0; r < rounds; r++) {
      for (const { variant, page } of shuffled(open)) {
        const result = await page.call('assets', perRound, 3)
        times[variant].push(...result.times)
        failed += result.failed
      }
    }
    log(`  assets: ${rounds} rounds × ${perRound} requests per variant`)
    const routing = await open[3].page.call('routing', '/asset')
    const bearerRoutedRouting = await open[4].page.call('routing', '/asset')
    const routedRouting = await open[2].page.call('routing', '/asset')
    const s = Object.fromEntries(VARIANTS.map((v) => [v, summary(times[v])]))
    return {
      sequential: { noWorker: s.floor, passthrough: s.passthrough, routed: s.routed, bearer: s.bearer, bearerRouted: s.bearerRouted },
      failed,
      routing,
      routedRouting,
      bearerRoutedRouting,
      ratios: {
        bearerRoutedOverNoWorkerP50: ratio(s.bearerRouted.p50, s.floor.p50),
        bearerOverPassthroughP50: ratio(s.bearer.p50, s.passthrough.p50),
        bearerOverNoWorkerP50: ratio(s.bearer.p50, s.floor.p50),
        bearerOverNoWorkerP90: ratio(s.bearer.p90, s.floor.p90),
        bearerOverRoutedP50: ratio(s.bearer.p50, s.routed.p50),
        routedOverNoWorkerP50: ratio(s.routed.p50, s.floor.p50),
      },
    }
  } finally {
    await Promise.all(open.map(({ context }) => context.close()))
  }
}
