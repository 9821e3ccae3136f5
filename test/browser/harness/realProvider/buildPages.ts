import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleLibrary } from '../bundle.js'

const PAGES = fileURLToPath(new URL('./pages/', import.meta.url))

export interface BuiltPages {
  /** '/oidc.js', '/sw-lib.js', chunks… → their bytes. */
  files: Map<string, Buffer>
  remove(): Promise<void>
}

/**
 * One ES module per SDK page plus the worker's library, built from the project's source
 * the way a consumer's bundler would (production mode, dependencies inlined). Built into a
 * temporary directory: test/.build belongs to the library bundle the other tests serve.
 */
export async function buildPages(): Promise<BuiltPages> {
  const outDir = await mkdtemp(join(tmpdir(), 'swb-real-pages-'))
  await bundleLibrary(outDir, { oidc: join(PAGES, 'oidc.ts'), auth0: join(PAGES, 'auth0.ts'), okta: join(PAGES, 'okta.ts'), 'sw-lib': 'sw/index.ts' })
  const files = new Map<string, Buffer>()
  for (const name of await readdir(outDir, { recursive: true })) {
    if (name.endsWith('.js')) files.set(`/${name}`, await readFile(join(outDir, name)))
  }
  return { files, remove: () => rm(outDir, { recursive: true, force: true }) }
}
