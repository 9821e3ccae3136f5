import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The bench serves the SW bundle with this replaced by its API server's origin. */
export const PLACEHOLDER_ORIGIN = 'https://api.example.com'

/**
 * What a consumer writes: a service worker that installs injection, and a page
 * that registers it. Bundling these (not the library's index files) measures only
 * what a real app ships, after tree shaking.
 */
export const CONSUMER_ENTRIES = {
  sw: `import { installTokenInjection } from ${JSON.stringify(join(ROOT, 'sw/index.ts'))}
installTokenInjection({ apiOrigins: [${JSON.stringify(PLACEHOLDER_ORIGIN)}] })
`,
  page: `import { registerTokenServiceWorker } from ${JSON.stringify(join(ROOT, 'src/index.ts'))}
async function getAccessToken() {
  const response = await fetch('/token', { cache: 'no-store' })
  if (!response.ok) throw new Error('token endpoint answered ' + response.status)
  return (await response.json()).token
}
export const session = registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken })
`,
}

/**
 * Row 1d's page: the consumer page above with the one thing an app with DPoP on changes, its getter,
 * which returns the token with the key pair it is bound to (a non-extractable P-256 key generated in
 * the page, once). It registers the same `/sw.js`: the worker is the size row's bytes.
 */
export const DPOP_PAGE_ENTRY = `import { registerTokenServiceWorker } from ${JSON.stringify(join(ROOT, 'src/index.ts'))}
let key
async function getAccessToken() {
  key ??= crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
  const response = await fetch('/token', { cache: 'no-store' })
  if (!response.ok) throw new Error('token endpoint answered ' + response.status)
  return { token: (await response.json()).token, type: 'DPoP', key: await key }
}
export const session = registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken })
`

/**
 * Bundles each entry self-contained (idb, jose, workbox inlined) in production
 * mode, the way a consumer's app bundler ships it, and returns each file's bytes.
 * An app build, not a library build: Vite keeps whitespace in minified ES
 * libraries (for their pure annotations), which no app would ship.
 */
export async function bundleEntries(entries, outDir) {
  const srcDir = join(outDir, 'entries')
  const distDir = join(outDir, 'dist')
  await mkdir(srcDir, { recursive: true })
  const out = {}
  // One build per entry: a chunk shared between them would hide where bytes come from.
  for (const [name, source] of Object.entries(entries)) {
    const file = join(srcDir, `${name}.js`)
    await writeFile(file, source)
    await build({
      configFile: false,
      root: ROOT,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
      build: {
        outDir: distDir,
        emptyOutDir: false,
        target: 'es2022',
        minify: true,
        modulePreload: false,
        copyPublicDir: false,
        rollupOptions: {
          input: { [name]: file },
          preserveEntrySignatures: 'strict',
          output: { format: 'es', entryFileNames: '[name].js' },
        },
      },
    })
    out[name] = await readFile(join(distDir, `${name}.js`))
  }
  return out
}

/** The chunks the builds split off (shared code, lazy parts), by their path under the served root: `/assets/…`. */
export async function bundleChunks(outDir) {
  const dir = join(outDir, 'dist', 'assets')
  const chunks = {}
  for (const name of await readdir(dir).catch(() => [])) chunks[`/assets/${name}`] = await readFile(join(dir, name))
  return chunks
}

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length
const STATIC_IMPORT = /(?:^|[;}\s])import\s*(?:[\w{}\s,*$]+from\s*)?["'`]\.?\.?\/?(?:assets\/)?([\w.-]+\.js)["'`]/g
const DYNAMIC_IMPORT = /import\(\s*["'`]\.?\.?\/?(?:assets\/)?([\w.-]+\.js)["'`]/g

/**
 * What a page downloads before it runs (gzip bytes of the entry and every chunk it imports
 * statically, each file compressed on its own as a server sends it), and what it may fetch
 * later (chunks it imports dynamically, with their own static imports not already counted).
 */
export function transferSizes(entry, chunks) {
  const byName = new Map(Object.entries(chunks).map(([path, bytes]) => [path.split('/').pop(), bytes]))
  const closure = (bytes, seen) => {
    let size = gz(bytes)
    for (const [, name] of bytes.toString('utf8').matchAll(STATIC_IMPORT)) {
      if (seen.has(name) || !byName.has(name)) continue
      seen.add(name)
      size += closure(byName.get(name), seen)
    }
    return size
  }
  const seen = new Set()
  const loaded = closure(entry, seen)
  let lazy = 0
  for (const [, name] of entry.toString('utf8').matchAll(DYNAMIC_IMPORT)) {
    if (seen.has(name) || !byName.has(name)) continue
    seen.add(name)
    lazy += closure(byName.get(name), seen)
  }
  return { loaded, lazy }
}

/** Minified and gzip (level 9) sizes of each consumer bundle. */
export async function measureBundles(outDir) {
  const files = await bundleEntries(CONSUMER_ENTRIES, outDir)
  const sizes = {}
  for (const [name, bytes] of Object.entries(files)) {
    sizes[name] = { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
  }
  return sizes
}
