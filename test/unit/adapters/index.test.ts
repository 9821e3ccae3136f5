// @vitest-environment node
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as adapters from '../../../adapters/index.js'

const folder = new URL('../../../adapters/', import.meta.url)

/** Every module specifier in a source file's code (its docstrings' @example imports aside). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((match) => match[1]!)
}

describe('sw-bearer/adapters', () => {
  it('exports one named function per SDK and nothing else', () => {
    expect(Object.keys(adapters).sort()).toEqual(['fromAuth0', 'fromFirebase', 'fromOidcClient', 'fromOkta', 'fromPrivy', 'fromWorkOS'])
  })

  it('imports no SDK, not even its types: every import is relative', () => {
    const files = readdirSync(folder).filter((name) => name.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(6)
    for (const file of files) {
      for (const specifier of specifiers(readFileSync(new URL(file, folder), 'utf8'))) {
        expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\.?\//)
      }
    }
  })

  it('would notice an SDK import', () => {
    expect(specifiers("import type { User } from 'oidc-client-ts'\nconst x = await import('@okta/okta-auth-js')")).toEqual([
      'oidc-client-ts',
      '@okta/okta-auth-js',
    ])
  })
})
