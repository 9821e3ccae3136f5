import { ratio, summary } from '../lib/stats.js'
import { setupTab, startOidcWorld } from '../lib/oidcWorld.js'
import { log } from './common.js'

/**
 * 4b. What every page load of the app waits for on a warm start: the worker is active and
 * holds a fresh token, the SDK is signed in. In a newly opened tab, `registerTokenServiceWorker`
 * from call to resolve (hello, then `start` through the worker's single flight, which asks a
 * tab's getter for the SDK's cached token), beside the SDK's own cached read, `getUser()`,
 * in the same page. The two go in alternating order, so neither always pays for first use.
 */
export async function startup(env, { iterations, accessTokenTtl }) {
  const world = await startOidcWorld({ swBundle: env.bundles.sw, buildDir: env.buildDir, accessTokenTtl })
  const context = await env.browser.newContext()
  try {
    // Stays open throughout: the worker it registered is running and holds the token.
    const first = await setupTab(await world.signIn(context), 'bearer')
    if ((await first.call('sequential', 2)).some((s) => s !== 200)) throw new Error('startup: the signed-in tab gets no 200')
    const mark = world.op.mark()
    const samples = { registerMs: [], getUserMs: [], getterCalls: [] }
    let uncontrolled = 0
    for (let i = 0; i < iterations; i++) {
      const tab = await world.openTab(context)
      const result = await tab.call('startup', i % 2 === 0)
      await tab.close()
      samples.registerMs.push(round3(result.registerMs))
      samples.getUserMs.push(round3(result.getUserMs))
      samples.getterCalls.push(result.getterCalls)
      if (!result.controlledAtLoad) uncontrolled++
    }
    const op = world.op.counters(mark)
    log(`  startup: ${iterations} new tabs, ${op.tokenRequests} token endpoint call(s)`)
    const register = summary(samples.registerMs)
    const getUser = summary(samples.getUserMs)
    // Whichever runs second finds the SDK's storage and code already warmed by the first
    // (the getter itself calls getUser), so each is also summarised by its place.
    const at = (list, even) => summary(list.filter((_, i) => i % 2 === (even ? 0 : 1)))
    return {
      register,
      getUser,
      ratios: { p50: ratio(register.p50, getUser.p50), p90: ratio(register.p90, getUser.p90) },
      byOrder: {
        registerFirst: { register: at(samples.registerMs, true), getUser: at(samples.getUserMs, true) },
        getUserFirst: { register: at(samples.registerMs, false), getUser: at(samples.getUserMs, false) },
      },
      tokenCalls: op.tokenRequests,
      uncontrolledAtLoad: uncontrolled,
      samples,
    }
  } finally {
    await context.close()
    await world.close()
  }
}

const round3 = (ms) => Math.round(ms * 1000) / 1000
