import { serve, type Served } from '../httpServer.js'
import type { PageConfig } from './pages/app.js'

export const SDKS = ['oidc', 'auth0', 'okta'] as const
export type Sdk = (typeof SDKS)[number]

/**
 * The SPA's origin: /<sdk>.html (the config inlined, the page module), the built modules,
 * and /sw.js, the worker script an app would write: installTokenInjection for the API.
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
      const source = `import { installTokenInjection } from '/sw-lib.js'\ninstallTokenInjection({ apiOrigins: [${JSON.stringify(config().apiOrigin)}] })\n`
      return void res.writeHead(200, js).end(source)
    }
    const file = files.get(path)
    if (file) return void res.writeHead(200, js).end(file)
    res.writeHead(404).end()
  })
  return { ...served, origin: `http://localhost:${served.port}` }
}
