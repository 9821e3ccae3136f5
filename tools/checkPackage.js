// Checks the package as npm would publish it: builds, packs into a temporary folder,
// and runs publint and arethetypeswrong (esm-only profile) on that tarball.
// Silent but for one line when both are clean; otherwise prints what failed and exits 1.
// Leaves nothing behind but dist/, which `npm run build` writes anyway.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const root = fileURLToPath(new URL('..', import.meta.url))
const started = performance.now()
const problems = []

/** Runs a command in the repo; a failure becomes a problem carrying its output. */
function run(what, command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' })
  if (result.status !== 0) problems.push(`${what} failed:\n${result.error ?? ''}${result.stdout}${result.stderr}`)
  return result.status === 0 ? result.stdout : undefined
}

const temp = mkdtempSync(join(tmpdir(), 'sw-bearer-pack-'))
try {
  const packed = run('npm run build', 'npm', ['run', '-s', 'build']) !== undefined && run('npm pack', 'npm', ['pack', '--json', '--pack-destination', temp])
  if (packed) {
    const tarball = join(temp, JSON.parse(packed)[0].filename)

    // publint: every message counts, suggestions included.
    const bytes = readFileSync(tarball)
    const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) } })
    if (messages.length) problems.push(`publint:\n${messages.map((m) => `  ${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`).join('\n')}`)

    // attw exits non-zero on any problem its profile does not ignore (esm-only: node10 and require()).
    // sw.classic.js is a classic script for importScripts, not a module: there is nothing to type.
    run('attw --profile esm-only', join(root, 'node_modules', '.bin', 'attw'), [tarball, '--profile', 'esm-only', '--exclude-entrypoints', './sw.classic.js', '--no-color', '--no-emoji'])
  }
} finally {
  rmSync(temp, { recursive: true, force: true })
}

const seconds = ((performance.now() - started) / 1000).toFixed(1)
if (problems.length) {
  console.error(`Package check failed (${seconds} s):\n\n${problems.join('\n\n')}`)
  process.exit(1)
}
console.log(`Package check: publint and attw --profile esm-only clean on the packed tarball (${seconds} s)`)
