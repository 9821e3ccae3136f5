import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Activity } from './server/activity.js'
import { startApi } from './server/api.js'
import { buildClient } from './server/buildClient.js'
import { listen, sendJSON } from './server/http.js'
import { CLIENT_ID, startProvider } from './server/provider.js'

/**
 * @typedef {{
 *   pagePort?: number,
 *   apiPort?: number,
 *   providerPort?: number,
 *   lifetimeSeconds?: number,
 *   audience?: string,
 *   onEvent?: (event: import('./server/activity.js').ActivityEvent) => void,
 * }} DemoOptions
 */

export const DEFAULTS = { pagePort: 4400, apiPort: 4401, providerPort: 4402, lifetimeSeconds: 60, audience: 'https://api.jotter.test' }

/**
 * Starts the whole demo: the page on http://localhost:<pagePort>, the API on
 * http://127.0.0.1:<apiPort> (another origin), and the OpenID Provider on
 * http://localhost:<providerPort> (a third). Port 0 picks a free one.
 *
 * @param {DemoOptions} [options]
 */
export async function startDemo(options = {}) {
  const { pagePort, apiPort, providerPort, lifetimeSeconds, audience } = { ...DEFAULTS, ...options }
  if (!(lifetimeSeconds > 0)) throw new TypeError('lifetimeSeconds must be a positive number')
  const activity = new Activity(options.onEvent)

  /** @type {(value: (req: any, res: any) => Promise<void>) => void} */
  let setHandler = () => {}
  /** Requests that arrive while the page is still building wait for it. */
  const handler = new Promise((resolve) => (setHandler = resolve))
  const page = await listen(async (req, res) => (await handler)(req, res), pagePort)
  const pageURL = `http://localhost:${page.port}/`
  // Both names of the page's origin may open it; each is a redirect URI of its own.
  const pageOrigins = [`http://localhost:${page.port}`, `http://127.0.0.1:${page.port}`]

  let provider
  let api
  try {
    provider = await startProvider({ port: providerPort, pageOrigins, audience, lifetimeSeconds, activity })
    api = await startApi({
      port: apiPort,
      pageOrigins,
      issuer: provider.issuer,
      // The provider by address: "localhost" may resolve to ::1 first.
      jwksURL: `http://127.0.0.1:${new URL(provider.origin).port}/.well-known/jwks.json`,
      audience,
      activity,
    })
    const apiURL = `http://127.0.0.1:${api.port}`
    const files = await buildClient({ apiURL, authority: provider.issuer, clientId: CLIENT_ID, audience })

    setHandler(async (req, res) => {
      const url = new URL(req.url ?? '/', pageURL)
      if (req.method === 'GET' && url.pathname === '/demo/activity') {
        const after = url.searchParams.get('after')
        return sendJSON(res, 200, activity.since(after === null ? undefined : Number(after)))
      }
      const file = req.method === 'GET' || req.method === 'HEAD' ? files.get(url.pathname === '/' ? '/index.html' : url.pathname) : undefined
      if (!file) return sendJSON(res, 404, { error: 'not_found' })
      // Hashed assets never change; the page and the worker script are checked on every load.
      const fresh = url.pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
      res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': fresh, 'X-Content-Type-Options': 'nosniff' })
      res.end(req.method === 'HEAD' ? undefined : file.body)
    })

    return {
      pageURL,
      apiURL,
      issuerURL: provider.issuer,
      jwksURL: `${provider.issuer}/.well-known/jwks.json`,
      clientId: CLIENT_ID,
      audience,
      /** Counters and events as the page's log shows them. */
      activity,
      /** What reached the provider: `provider.counters(provider.mark())`. */
      provider: { mark: provider.mark, counters: provider.counters },
      /** Every bearer token the API received, newest last. */
      received: api.received,
      async close() {
        await Promise.all([page.close(), api.close(), provider.close()])
      },
    }
  } catch (error) {
    await Promise.all([page.close(), api?.close(), provider?.close()])
    throw error
  }
}

function fromCommandLine(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'api-port': { type: 'string' },
      'provider-port': { type: 'string' },
      lifetime: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(`Usage: npm run demo -- [--port 4400] [--api-port 4401] [--provider-port 4402] [--lifetime 60]

  --port           page port                  (env DEMO_PORT, default ${DEFAULTS.pagePort})
  --api-port       API port                   (env DEMO_API_PORT, default ${DEFAULTS.apiPort})
  --provider-port  OpenID Provider port       (env DEMO_PROVIDER_PORT, default ${DEFAULTS.providerPort})
  --lifetime       access token lifetime, s   (env DEMO_TOKEN_LIFETIME, default ${DEFAULTS.lifetimeSeconds})`)
    process.exit(0)
  }
  const env = process.env
  const number = (value, fallback) => (value === undefined || value === '' ? fallback : Number(value))
  return {
    pagePort: number(values.port ?? env.DEMO_PORT, DEFAULTS.pagePort),
    apiPort: number(values['api-port'] ?? env.DEMO_API_PORT, DEFAULTS.apiPort),
    providerPort: number(values['provider-port'] ?? env.DEMO_PROVIDER_PORT, DEFAULTS.providerPort),
    lifetimeSeconds: number(values.lifetime ?? env.DEMO_TOKEN_LIFETIME, DEFAULTS.lifetimeSeconds),
  }
}

const color = process.stdout.isTTY && !process.env.NO_COLOR
const style = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)

async function main() {
  const options = fromCommandLine(process.argv.slice(2))
  const time = (at) => new Date(at).toLocaleTimeString('en-GB')
  const demo = await startDemo({
    ...options,
    onEvent: (e) => console.log(style('2', `  ${time(e.at)}  ${e.source.padEnd(8)} ${e.text}`)),
  })
  console.log(`
  ${style('1', 'Jotter')}, the sw-bearer demo, is running.

  Open      ${style('1;36', demo.pageURL)}

  provider  ${demo.issuerURL}  ${style('2', `OpenID Provider, client "${demo.clientId}", code + PKCE, ES256 access tokens for ${demo.audience}, ${options.lifetimeSeconds} s`)}
  API       ${demo.apiURL}  ${style('2', 'GET /me, GET/POST /notes, POST /session/revoke')}

  Ctrl-C stops it. What the provider and the API see is logged below.
`)
  let stopping = false
  const stop = async () => {
    if (stopping) process.exit(1) // a second Ctrl-C does not wait
    stopping = true
    await demo.close()
    console.log('\n  Stopped.')
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`\n  The demo could not start: ${error instanceof Error ? error.message : error}\n`)
    process.exit(1)
  })
}
