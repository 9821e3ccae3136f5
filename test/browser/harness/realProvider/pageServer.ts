import { serve, type Served } from '../httpServer.js'
import { INSTANCE_SOURCE } from '../witness.js'
import type { PageConfig } from './pages/app.js'

export const SDKS = ['oidc', 'auth0', 'okta'] as const
export type Sdk = (typeof SDKS)[number]

/**
 * The SPA's origin: /<sdk>.html (the config inlined, the page module), the built modules,
 * and /sw.js, the worker script an app would write: installTokenInjection for the API, and
 * for a second one with its own resource when the config has `apiB` (the mapping is fixed in
 * the script, as an app's is; a test server writes it per run). Plus the lab's instance id, so
 * a test can tell a restarted worker from an idle one.
 */
export async function servePages(files: Map<string, Buffer>, config: () => PageConfig): Promise<Served & { origin: string }> {
  const js = { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }
  const served = await serve((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const sdk = /^\/(\w+)\.html$/.exec(path)?.[1]
    if (sdk && (SDKS as readonly string[]).includes(sdk)) {
      const html = `<!doctype html><meta charset="utf-8"><title>${sdk}</title>
<script id="config" type="application/json">${JSON.stringify(config())}</script>
<script type="module" src="/${sdk}.js"></script><body>${sdk}</body>`
      return void res.writeHead(200, { 'Content-Type': 'text/html', 'Cache-Control': 'no-store' }).end(html)
    }
    if (path === '/sw.js') {
      const { apiOrigin, apiB } = config()
      const apiOrigins = apiB ? [apiOrigin, { origin: apiB.origin, resource: apiB.resource }] : [apiOrigin]
      const source = `import { installTokenInjection } from '/sw-lib.js'\n${INSTANCE_SOURCE}\ninstallTokenInjection({ apiOrigins: ${JSON.stringify(apiOrigins)} })\n`
      return void res.writeHead(200, js).end(source)
    }
    const file = files.get(path)
    if (file) return void res.writeHead(200, js).end(file)
    res.writeHead(404).end()
  })
  return { ...served, origin: `http://localhost:${served.port}` }
}
