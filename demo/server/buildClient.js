import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const WEB = fileURLToPath(new URL('../web/', import.meta.url))

/**
 * Builds the page and the service worker in memory with the demo's API origin
 * baked in: the worker's origin list must be fixed in its script, never taken
 * from a message. The page also gets the provider's settings for its SDK.
 * Returns the files by URL path.
 *
 * @param {{ apiURL: string, authority: string, clientId: string, audience: string }} options
 * @returns {Promise<Map<string, { body: string | Uint8Array, type: string }>>}
 */
export async function buildClient({ apiURL, authority, clientId, audience }) {
  const define = {
    __JOTTER_API__: JSON.stringify(apiURL),
    __JOTTER_AUTHORITY__: JSON.stringify(authority),
    __JOTTER_CLIENT_ID__: JSON.stringify(clientId),
    __JOTTER_AUDIENCE__: JSON.stringify(audience),
    // workbox reads this to drop its development-only logging.
    'process.env.NODE_ENV': JSON.stringify('production'),
  }
  const common = { configFile: false, root: WEB, logLevel: 'warn', define, clearScreen: false }
  const results = await Promise.all([
    build({ ...common, build: { write: false, target: 'es2022', modulePreload: false, sourcemap: true } }),
    // A classic script, so the demo also runs where module workers are new (Firefox).
    build({
      ...common,
      build: {
        write: false,
        target: 'es2022',
        sourcemap: true,
        rollupOptions: { input: `${WEB}sw.ts`, output: { format: 'iife', entryFileNames: 'sw.js' } },
      },
    }),
  ])
  const files = new Map()
  for (const result of results.flat()) {
    for (const file of /** @type {import('vite').Rollup.RollupOutput} */ (result).output) {
      const body = file.type === 'chunk' ? file.code : file.source
      files.set(`/${file.fileName}`, { body, type: typeOf(file.fileName) })
    }
  }
  return files
}

function typeOf(name) {
  if (name.endsWith('.html')) return 'text/html; charset=utf-8'
  if (name.endsWith('.js')) return 'text/javascript; charset=utf-8'
  if (name.endsWith('.css')) return 'text/css; charset=utf-8'
  if (name.endsWith('.svg')) return 'image/svg+xml'
  if (name.endsWith('.map')) return 'application/json; charset=utf-8'
  return 'application/octet-stream'
}
