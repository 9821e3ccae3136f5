// npm run bench [-- --quick] [-- --only=perRequest,nonApi,storm,rotation,coldStart,startup] [-- --driver=cdp|playwright]
// Real headless Chromium against loopback servers; prints a table and writes
// bench/results/<timestamp>.json. Compare ratios within one run, not across runs.
import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem, type as osType, release as osRelease } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { bundleEntries, CONSUMER_ENTRIES, PLACEHOLDER_ORIGIN } from './lib/bundles.js'
import { launch } from './lib/browser.js'
import { APP_JS, PAGE_HTML, PASSTHROUGH_SW, routedSw } from './lib/pageApp.js'
import { printTable } from './lib/report.js'
import { Provider, startApi, startPageServer } from './lib/servers.js'
import { coldStart } from './scenarios/coldStart.js'
import { log } from './scenarios/common.js'
import { nonApi } from './scenarios/nonApi.js'
import { perRequest } from './scenarios/perRequest.js'
import { rotation } from './scenarios/rotation.js'
import { startup } from './scenarios/startup.js'
import { storm } from './scenarios/storm.js'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const BUILD_DIR = join(HERE, '.build', 'consumer')
const OIDC_BUILD_DIR = join(HERE, '.build', 'oidc')
const RESULTS_DIR = join(HERE, 'results')

const quick = process.argv.includes('--quick')
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',')
const wanted = (name) => !only || only.includes(name)
const driver = process.argv.find((a) => a.startsWith('--driver='))?.slice(9) ?? 'cdp'

const CONFIG = {
  providerLatencyMs: 50,
  perRequest: { rounds: quick ? 10 : 20, perRound: 30, concurrentRounds: quick ? 4 : 8, concurrency: 200 },
  nonApi: { rounds: quick ? 10 : 20, perRound: 30 },
  storm: { reps: quick ? 2 : 3, tabs: 5, total: 1000 },
  // Against the real OpenID Provider; tokens live 5 min, far past a rep and the 30 s leeway.
  rotation: { reps: quick ? 1 : 3, tabs: 5, perTab: 20, accessTokenTtl: 300 },
  coldStart: { iterations: quick ? 10 : 20 },
  startup: { iterations: quick ? 10 : 20, accessTokenTtl: 300 },
}

/** The rows of the report, in order: results key (and --only name), log line, scenario. */
const SCENARIOS = [
  ['perRequest', '1. per-request cost', perRequest],
  ['nonApi', '2. non-API requests', nonApi],
  ['storm', '3. refresh storm', storm],
  ['rotation', '3b. refresh storm, rotating refresh tokens (real OpenID Provider, oidc-client-ts)', rotation],
  ['coldStart', '4. cold start', coldStart],
  ['startup', '4b. warm start: registerTokenServiceWorker vs the SDK\'s cached read', startup],
]

const TARGETS = { cOverBP50: 1.05, stormProviderCalls: 1, rotationTokenCalls: 1, swGzip: 7680, pageGzip: 3072 }

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: HERE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

async function main() {
  const started = Date.now()
  log('building the consumer bundles (minified, production) …')
  const bundles = await bundleEntries(CONSUMER_ENTRIES, BUILD_DIR)
  const sizes = Object.fromEntries(
    Object.entries(bundles).map(([name, bytes]) => [name, { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }]),
  )

  const provider = new Provider(CONFIG.providerLatencyMs)
  const api = await startApi(provider)
  const apiOrigin = `http://127.0.0.1:${api.port}`
  // The worker the bench runs is byte for byte the one the size row measures, but for its origin.
  const swSource = bundles.sw.toString('utf8').replaceAll(PLACEHOLDER_ORIGIN, apiOrigin)
  const pageServer = await startPageServer({
    provider,
    swSource: () => swSource,
    files: { '/': PAGE_HTML, '/app.js': APP_JS, '/passthrough-sw.js': PASSTHROUGH_SW, '/routed-sw.js': routedSw(apiOrigin), '/consumer-page.js': bundles.page },
  })
  const browser = await launch(driver)
  const env = { browser, provider, api, pageOrigin: `http://localhost:${pageServer.port}`, apiURL: `${apiOrigin}/data`, bundles, buildDir: OIDC_BUILD_DIR }

  const results = {
    date: new Date(started).toISOString(),
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: git('status', '--porcelain', '--', '../src', '../sw', '../common', '../adapters') ? true : false,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      os: `${osType()} ${osRelease()}`,
      node: process.version,
      chromium: browser.version(),
      // Other work on the machine shows up as noise: judge the run by these.
      loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    },
    config: { ...CONFIG, quick, driver },
    targets: TARGETS,
    bundleSize: sizes,
  }
  try {
    for (const [name, title, run] of SCENARIOS) {
      if (!wanted(name)) continue
      log(`${title} …`)
      results[name] = await run(env, CONFIG[name])
    }
  } finally {
    await browser.close()
    await Promise.all([api.close(), pageServer.close()])
  }
  results.durationSeconds = Math.round((Date.now() - started) / 1000)
  results.machine.loadAverageAtEnd = loadavg().map((l) => Math.round(l * 100) / 100)

  printTable(results)
  await mkdir(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${results.date.replace(/[:.]/g, '-')}.json`)
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`)
  log(`\nwrote bench/results/${file.slice(RESULTS_DIR.length + 1)} (${results.durationSeconds} s)`)
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
