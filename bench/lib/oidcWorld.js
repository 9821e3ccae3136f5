import { CLIENT_ID, startOpenIdProvider } from '../../tools/openidProvider.js'
import { bundleChunks, bundleEntries, PLACEHOLDER_ORIGIN } from './bundles.js'
import { serve } from './servers.js'
import { startVerifyingApi } from './verifyingApi.js'

const AUDIENCE = 'https://api.example.test'
const APP_SOURCE = new URL('./oidcApp.js', import.meta.url).pathname

let built
/** The oidc-client-ts page, bundled once per run the way an app ships it (production, minified). */
function buildApp(buildDir) {
  // With the chunks it imports (shared code, the lazily loaded fallback), served under /assets/.
  built ??= bundleEntries({ oidcApp: `import { start } from ${JSON.stringify(APP_SOURCE)}\nstart()\n` }, buildDir).then(async (b) => ({
    app: b.oidcApp,
    chunks: await bundleChunks(buildDir),
  }))
  return built
}

/**
 * A real OpenID Provider (refresh-token rotation with reuse detection, ES256 JWT access
 * tokens for one audience), an API on another origin that verifies them, and the SPA's
 * origin serving the oidc-client-ts page and sw-bearer's worker, all on loopback.
 *
 * @param {{ swBundle: Buffer, buildDir: string, accessTokenTtl: number }} options
 */
export async function startOidcWorld({ swBundle, buildDir, accessTokenTtl }) {
  const { app, chunks } = await buildApp(buildDir)
  let config
  let sw
  const js = { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }
  const site = await serve((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/app.js') return void res.writeHead(200, js).end(app)
    if (path === '/sw.js') return void res.writeHead(200, js).end(sw)
    if (chunks[path]) return void res.writeHead(200, js).end(chunks[path])
    if (path !== '/') return void res.writeHead(404).end()
    const html = `<!doctype html><meta charset="utf-8"><title>sw-bearer bench · oidc-client-ts</title>
<script id="config" type="application/json">${JSON.stringify(config)}</script>
<script type="module" src="/app.js"></script><body>oidc</body>`
    res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' }).end(html)
  })
  const pageOrigin = `http://localhost:${site.port}`
  const op = await startOpenIdProvider({ pageOrigins: [pageOrigin], redirectUris: [`${pageOrigin}/`], audience: AUDIENCE, accessTokenTtl })
  // Node may resolve "localhost" to ::1 first; the provider listens on both, 127.0.0.1 is certain.
  const jwksUri = `${op.origin.replace('localhost', '127.0.0.1')}/.well-known/jwks.json`
  const api = await startVerifyingApi({ issuer: op.issuer, jwksUri, audience: AUDIENCE, pageOrigin })
  config = { issuer: op.issuer, clientId: CLIENT_ID, audience: AUDIENCE, apiOrigin: api.origin }
  // The very worker the size row measures, for this API's origin.
  sw = swBundle.toString('utf8').replaceAll(PLACEHOLDER_ORIGIN, api.origin)

  return {
    op,
    api,
    pageOrigin,
    /** A tab signed in through the provider: the SDK's redirect, the scripted login, the callback. */
    signIn: (context, user = 'alice') => context.openTab(`${pageOrigin}/?login=${encodeURIComponent(user)}`),
    openTab: (context) => context.openTab(`${pageOrigin}/`),
    close: () => Promise.all([op.close(), api.close(), site.close()]),
  }
}

/** A page of the world set up as `variant` ('sdk' or 'bearer'), checked the way openVariant checks. */
export async function setupTab(tab, variant) {
  const setup = await tab.call('setup', variant)
  if (setup.visibility !== 'visible') throw new Error(`${variant}: the tab is ${setup.visibility}, its timers would be throttled`)
  if (!setup.signedIn) throw new Error(`${variant}: the SDK has no user in this tab`)
  if (variant === 'bearer' && !setup.controlled) throw new Error('bearer: the page is not controlled by its service worker')
  return tab
}
