import { median, quantile, round, shuffled } from '../lib/stats.js'
/** A fresh browser context with `tabs` tabs, each set up as `variant`. */
export async function openVariant(env, variant, tabs = 1) {
  const context = await env.browser.newContext()
  const pages = []
  // One after another: the first tab's registration installs the worker the others join.
  for (let i = 0; i < tabs; i++) {
    const page = await context.openTab(`${env.pageOrigin}/`)
    const setup = await page.call('setup', variant, env.apiURL, env.resourceApiURL)
    if (setup.visibility !== 'visible') throw new Error(`${variant}: the tab is ${setup.visibility}, its timers would be throttled`)
    if (variant !== 'floor' && variant !== 'wrapper' && !setup.controlled) {
      throw new Error(`${variant}: the page is not controlled by its service worker`)
    }
    pages.push(page)
  }
  return { variant, context, page: pages[0], pages }
}

export const log = (message) => process.stderr.write(`${message}\n`)

/**
 * The shuffled rounds rows 1, 1r and 1d share: each round runs every variant's `perRound`
 * sequential requests (3 ms apart) in a fresh order, so drift in the machine hits all alike.
 * Returns every sample and failure per variant, and each round's p50 per variant, for the
 * per-round ratios. `onResult` sees each variant's result of each round.
 */
export async function sequentialRounds(open, rounds, perRound, onResult = () => {}) {
  const times = Object.fromEntries(open.map(({ variant }) => [variant, []]))
  const failed = Object.fromEntries(open.map(({ variant }) => [variant, 0]))
  const p50s = []
  for (let r = 0; r < rounds; r++) {
    const p50 = {}
    for (const { variant, page } of shuffled(open)) {
      const result = await page.call('sequential', perRound, 3)
      times[variant].push(...result.times)
      failed[variant] += result.failed
      p50[variant] = median(result.times)
      onResult(variant, result)
    }
    p50s.push(p50)
  }
  return { times, failed, p50s }
}

/** The median and interquartile range of per-round ratios, to 3 places. */
export const spread = (list) => ({ median: round(median(list), 3), p25: round(quantile(list, 0.25), 3), p75: round(quantile(list, 0.75), 3) })
