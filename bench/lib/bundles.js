import { mkdir, readFile, writeFile } from 'node:fs/promises'
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

/** Minified and gzip (level 9) sizes of each consumer bundle. */
export async function measureBundles(outDir) {
  const files = await bundleEntries(CONSUMER_ENTRIES, outDir)
  const sizes = {}
  for (const [name, bytes] of Object.entries(files)) {
    sizes[name] = { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
  }
  return sizes
}
