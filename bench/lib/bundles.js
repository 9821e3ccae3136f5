import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * What a consumer writes: a service worker that installs injection, and a page
 * that registers it. Bundling these (not the library's index files) measures only
 * what a real app ships, after tree shaking.
 */
export const CONSUMER_ENTRIES = {
  sw: `import { installTokenInjection } from ${JSON.stringify(join(ROOT, 'sw/index.ts'))}
installTokenInjection({ apiOrigins: ['https://api.example.com'] })
`,
  page: `import { registerTokenServiceWorker } from ${JSON.stringify(join(ROOT, 'src/index.ts'))}
export const session = registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: async () => null })
`,
}

/**
 * Bundles each entry self-contained (idb, jose, workbox inlined) in production
 * mode, the way a consumer's bundler would ship it, and returns the files' bytes.
 */
export async function bundleEntries(entries, outDir, { minify = true } = {}) {
  const srcDir = join(outDir, 'entries')
  await mkdir(srcDir, { recursive: true })
  const input = {}
  for (const [name, source] of Object.entries(entries)) {
    input[name] = join(srcDir, `${name}.js`)
    await writeFile(input[name], source)
  }
  const distDir = join(outDir, 'dist')
  // One build per entry: a shared chunk between them would hide where bytes come from.
  for (const [name, file] of Object.entries(input)) {
    await build({
      configFile: false,
      root: ROOT,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"' },
      build: {
        outDir: distDir,
        emptyOutDir: false,
        target: 'es2022',
        minify,
        write: true,
        lib: { entry: { [name]: file }, formats: ['es'] },
      },
    })
  }
  const out = {}
  for (const name of Object.keys(entries)) out[name] = await readFile(join(distDir, `${name}.js`))
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
