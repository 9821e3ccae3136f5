import { median, round } from '../lib/stats.js'
import { setupTab, startOidcWorld } from '../lib/oidcWorld.js'
import { log } from './common.js'

const VARIANTS = ['sdk', 'bearer']

/**
 * 3b. The storm against a real provider that rotates refresh tokens and treats a reused one
 * as theft (it revokes the whole grant). `tabs` tabs of one oidc-client-ts app share one
 * sign-in; every token the API has seen is revoked; each tab sends `perTab` requests at one
 * agreed instant. Per-tab SDK refresh (each tab's 401 calls `signinSilent`, with the same
 * refresh token) against sw-bearer (one tab's getter, through the worker's single flight).
 * Counted at the edges: the provider's token endpoint and the API; then each tab's SDK is
 * asked for a forced refresh, which fails when the session is gone.
 */
export async function rotation(env, { reps, tabs, perTab, accessTokenTtl }) {
  const world = await startOidcWorld({ swBundle: env.bundles.sw, buildDir: env.buildDir, accessTokenTtl })
  const runs = { sdk: [], bearer: [] }
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const variant of rep % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) runs[variant].push(await once(env, world, variant, tabs, perTab))
      const line = (v) => `${runs[v].at(-1).tokenCalls} token call(s), ${runs[v].at(-1).invalidGrant} invalid_grant, ${runs[v].at(-1).signedOutTabs} tab(s) signed out`
      log(`  rotation rep ${rep + 1}/${reps}: per-tab SDK ${line('sdk')}; sw-bearer ${line('bearer')}`)
    }
  } finally {
    await world.close()
  }
  const sum = (list) => ({ medianTimeToLastResponseMs: round(median(list.map((r) => r.timeToLastResponseMs))), runs: list })
  return { tabs, perTab, accessTokenTtl, sdk: sum(runs.sdk), bearer: sum(runs.bearer) }
}

async function once(env, world, variant, tabs, perTab) {
  const context = await env.browser.newContext()
  try {
    // One sign-in (an authorization code), then the other tabs find its user in localStorage.
    const pages = [await setupTab(await world.signIn(context), variant)]
    for (let i = 1; i < tabs; i++) pages.push(await setupTab(await world.openTab(context), variant))
    for (const page of pages) {
      const statuses = await page.call('sequential', 2)
      if (statuses.some((s) => s !== 200)) throw new Error(`${variant}: warm-up requests answered ${statuses}`)
    }
    const mark = world.op.mark()
    const revoked = world.api.revokeSeen()
    world.api.resetCounts()
    const startAt = Date.now() + 500
    const results = await Promise.all(pages.map((page) => page.call('storm', perTab, startAt)))
    const op = world.op.counters(mark)
    if (op.serverErrors.length) throw new Error(`provider error: ${op.serverErrors[0]}`)
    const api = { ...world.api.counts }
    // One tab at a time: concurrent probes would be a second storm of their own.
    const probes = []
    for (const page of pages) probes.push(await page.call('probe'))
    const start = Math.min(...results.map((r) => r.startEpochMs))
    return {
      accessTokensRevokedAtApi: revoked,
      tokenCalls: op.tokenRequests,
      refreshOk: op.refreshOk,
      invalidGrant: op.invalidGrant,
      grantRevoked: op.grantRevoked,
      refreshErrors: tally(op.refreshErrors),
      // The baseline's signinSilent calls, per tab (sw-bearer's page makes none of its own).
      refreshesStartedPerTab: results.map((r) => r.refreshesStarted),
      signedOutTabs: probes.filter((p) => !p.ok).length,
      probeErrors: [...new Set(probes.filter((p) => !p.ok).map((p) => p.error))],
      okSeenByApp: results.reduce((n, r) => n + r.ok, 0),
      unauthorizedSeenByApp: results.reduce((n, r) => n + r.unauthorized, 0),
      timeToLastResponseMs: round(Math.max(...results.map((r) => r.endEpochMs)) - start),
      tabStartSpreadMs: round(Math.max(...results.map((r) => r.startEpochMs)) - start),
      api,
    }
  } finally {
    await context.close()
  }
}

/** ['invalid_grant', 'invalid_grant'] → { invalid_grant: 2 } */
function tally(list) {
  const out = {}
  for (const item of list) out[item] = (out[item] ?? 0) + 1
  return out
}
