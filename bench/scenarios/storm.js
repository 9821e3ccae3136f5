import { median, round } from '../lib/stats.js'
import { log, openVariant } from './common.js'

/**
 * 3. A revoked token meets `total` requests in flight across `tabs` tabs: how many
 * times is the provider called, and when does the last response arrive? sw-bearer
 * against a per-tab wrapper that refreshes on 401 the way axios-auth-refresh does.
 */
export async function storm(env, { reps, tabs, total }) {
  const runs = { bearer: [], wrapper: [] }
  for (let rep = 0; rep < reps; rep++) {
    const order = rep % 2 === 0 ? ['bearer', 'wrapper'] : ['wrapper', 'bearer']
    for (const variant of order) {
      const opened = await openVariant(env, variant, tabs)
      try {
        for (const page of opened.pages) await page.call('sequential', 5, 0)
        env.provider.revokeAll()
        env.provider.calls = 0
        env.api.resetCounts()
        // Every tab fires at one agreed instant; each reports page-side epoch times.
        const startAt = Date.now() + 500
        const perTab = Math.ceil(total / tabs)
        const results = await Promise.all(opened.pages.map((page) => page.call('storm', perTab, startAt)))
        const start = Math.min(...results.map((r) => r.startEpochMs))
        const end = Math.max(...results.map((r) => r.endEpochMs))
        runs[variant].push({
          providerCalls: env.provider.calls,
          timeToLastResponseMs: round(end - start),
          tabStartSpreadMs: round(Math.max(...results.map((r) => r.startEpochMs)) - start),
          requests: results.length * perTab,
          okSeenByApp: results.reduce((n, r) => n + r.ok, 0),
          unauthorizedSeenByApp: results.reduce((n, r) => n + r.unauthorized, 0),
          server: { ...env.api.counts },
        })
      } finally {
        await opened.context.close()
      }
    }
    log(`  storm rep ${rep + 1}/${reps}: sw-bearer ${runs.bearer.at(-1).providerCalls} provider call(s), wrapper ${runs.wrapper.at(-1).providerCalls}`)
  }
  const sum = (list) => ({
    providerCalls: list.map((r) => r.providerCalls),
    medianTimeToLastResponseMs: round(median(list.map((r) => r.timeToLastResponseMs))),
    runs: list,
  })
  return { tabs, total, bearer: sum(runs.bearer), wrapper: sum(runs.wrapper) }
}
