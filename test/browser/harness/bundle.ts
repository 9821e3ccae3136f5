import { fileURLToPath } from 'node:url'
import { build } from 'vite'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const BUILD_DIR = fileURLToPath(new URL('../../.build/', import.meta.url))

/**
 * The library as a consumer's bundler would ship it: page side and SW side as
 * self-contained ES modules (idb, jose and workbox inlined), production mode.
 */
export async function bundleLibrary(
  outDir = BUILD_DIR,
  entry: Record<string, string> = { page: 'src/index.ts', 'sw-lib': 'sw/index.ts' },
): Promise<void> {
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      lib: { entry, formats: ['es'] },
    },
  })
}
