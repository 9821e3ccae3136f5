import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { SignJWT } from 'jose'

const KEY = new TextEncoder().encode('bench-only-signing-key-not-a-secret')

/**
 * A loopback HTTP server on a free port. Keep-alive outlives the pauses between
 * rounds, so no round pays for new connections the others did not.
 */
export async function serve(handler) {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      Promise.resolve(handler(req, res)).catch((error) => {
        if (!res.headersSent) res.writeHead(500)
        res.end(String(error))
      })
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const NO_STORE = { 'Cache-Control': 'no-store' }

/**
 * The auth provider behind every page's getAccessToken: mints one-hour JWTs,
 * counts calls, and answers after `latencyMs`, as a real token endpoint would.
 */
export class Provider {
  calls = 0
  valid = new Set()

  constructor(latencyMs) {
    this.latencyMs = latencyMs
  }

  async mint() {
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({ sid: randomBytes(4).toString('hex') })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('bench-user')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .setJti(randomBytes(8).toString('hex'))
      .sign(KEY)
    this.valid.add(token)
    return token
  }

  /** Every token issued so far now earns a 401. */
  revokeAll() {
    this.valid.clear()
  }
}

/**
 * The API origin: `/data` answers a small JSON body to a valid bearer token, or to a valid
 * token sent as `DPoP <token>` with a `DPoP` proof beside it (RFC 9449 §7.1; the proof is not
 * verified here: row 1d checks the proofs once, see watchProofs), and 401 to anything else; CORS
 * preflights allow Authorization and DPoP and are cached. `watchTokens()` starts keeping the tokens
 * it accepts, and returns them as they come (row 1r checks that each of its two APIs got a token of
 * its own); `watchProofs()` the DPoP requests it accepts, each `{ proof, token, method, url }`.
 */
export async function startApi(provider) {
  const counts = { ok: 0, unauthorized: 0, preflight: 0, dpop: 0 }
  let tokensSeen = null
  let proofsSeen = null
  const served = await serve((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*')
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, DPoP')
    res.setHeader('Access-Control-Max-Age', '600')
    res.setHeader('Vary', 'Origin')
    // Lets the page read workerStart and the static-routing fields of its resource timing.
    res.setHeader('Timing-Allow-Origin', '*')
    if (req.method === 'OPTIONS') {
      counts.preflight++
      return void res.writeHead(204).end()
    }
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ') && provider.valid.has(auth.slice(7))) {
      counts.ok++
      tokensSeen?.add(auth.slice(7))
      return void res.writeHead(200, { 'Content-Type': 'application/json', ...NO_STORE }).end('{"items":[1,2,3]}')
    }
    // A DPoP-bound token is never accepted without a proof: a worker that sent none fails its row.
    const proof = req.headers.dpop
    if (auth?.startsWith('DPoP ') && provider.valid.has(auth.slice(5)) && typeof proof === 'string' && proof.split('.').length === 3) {
      counts.ok++
      counts.dpop++
      proofsSeen?.push({ proof, token: auth.slice(5), method: req.method, url: req.url })
      return void res.writeHead(200, { 'Content-Type': 'application/json', ...NO_STORE }).end('{"items":[1,2,3]}')
    }
    counts.unauthorized++
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer error="invalid_token"', ...NO_STORE })
    res.end('{"error":"invalid_token"}')
  })
  return {
    ...served,
    counts,
    resetCounts: () => Object.assign(counts, { ok: 0, unauthorized: 0, preflight: 0, dpop: 0 }),
    watchTokens: () => (tokensSeen = new Set()),
    unwatchTokens: () => void (tokensSeen = null),
    watchProofs: () => (proofsSeen = []),
    unwatchProofs: () => void (proofsSeen = null),
  }
}

/**
 * The page origin: the bench page, its scripts, its service workers, a
 * same-origin asset, and the provider's token endpoint.
 *
 * @param {{ files: Record<string, string | Buffer>, provider: Provider, swSource: () => string }} options
 */
export async function startPageServer({ files, provider, swSource }) {
  return serve(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/token') {
      provider.calls++
      await new Promise((resolve) => setTimeout(resolve, provider.latencyMs))
      const token = await provider.mint()
      return void res.writeHead(200, { 'Content-Type': 'application/json', ...NO_STORE }).end(JSON.stringify({ token }))
    }
    if (path === '/asset') return void res.writeHead(200, { 'Content-Type': 'text/plain', ...NO_STORE }).end('asset-bytes')
    if (path === '/sw.js') return void res.writeHead(200, { 'Content-Type': 'text/javascript', ...NO_STORE }).end(swSource())
    const file = files[path]
    if (file === undefined) return void res.writeHead(404).end()
    // Not cross-origin isolated, like most apps: isolation would give finer timers but
    // also move the worker out of the page's process, which changes what is measured.
    const type = path === '/' ? 'text/html' : 'text/javascript'
    res.writeHead(200, { 'Content-Type': type, ...NO_STORE }).end(file)
  })
}
