import { spawnSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, createServer, type ViteDevServer } from 'vite'
import { ROOT } from './bundle.js'

/** The recipe apps' sources: one folder each, as short as the README's examples. */
export const RECIPES = fileURLToPath(new URL('../../recipes/', import.meta.url))

/** What a recipe app may import, linked from this repo's node_modules (sw-bearer itself comes from the tarball). */
const LINKED = ['vite', 'vite-plugin-pwa', 'workbox-core', 'workbox-routing', 'workbox-precaching', 'workbox-strategies', 'workbox-window', 'idb', 'jose']

/** The origins the apps' sources name, as the README does, replaced by the test's own at copy time. */
export const PLACEHOLDERS = { api: 'https://api.example.com', auth: 'https://auth.example.com' } as const

export interface Workspace {
  /** Where the apps are copied and built. */
  dir: string
  /** The packed sw-bearer, unpacked: what `npm install sw-bearer` puts in node_modules. */
  packageDir: string
  remove(): Promise<void>
}

/**
 * Builds and packs sw-bearer as `npm publish` would (as tools/checkPackage.js does) and unpacks the
 * tarball into a temporary workspace, once per run.
 */
export async function packedWorkspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'swb-recipes-'))
  const run = (command: string, args: string[], cwd = ROOT) => {
    const result = spawnSync(command, args, { cwd, encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`)
    return result.stdout
  }
  run('npm', ['run', '-s', 'build'])
  const [{ filename }] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir])) as Array<{ filename: string }>
  const packageDir = join(dir, 'sw-bearer')
  await mkdir(packageDir)
  run('tar', ['-xzf', join(dir, filename), '-C', packageDir, '--strip-components=1'])
  return { dir, packageDir, remove: () => rm(dir, { recursive: true, force: true }) }
}

export interface AppSource {
  /** The folder under test/recipes/ the app is copied from. */
  recipe: string
  /** Files put over the copy: its path in the app → a path under test/recipes/. */
  overlay?: Record<string, string>
  /** Text replaced in the copy's index.html (a v2 to deploy). */
  html?: [from: string, to: string]
}

/**
 * Copies a recipe app into the workspace as a user's project: the packed sw-bearer in its
 * node_modules, the other packages linked from the repo's, the stand-in SDK getter as src/auth.ts,
 * and the README's example origins replaced by the test's API and issuer.
 */
export async function prepareApp(workspace: Workspace, name: string, source: AppSource, origins: { api: string; auth: string }): Promise<string> {
  const dir = join(workspace.dir, name)
  await cp(join(RECIPES, source.recipe), dir, { recursive: true })
  await cp(join(RECIPES, 'shared', 'auth.ts'), join(dir, 'src', 'auth.ts'))
  for (const [to, from] of Object.entries(source.overlay ?? {})) await cp(join(RECIPES, from), join(dir, to))
  for (const file of await readdir(dir, { recursive: true })) {
    if (!/\.(ts|js|html)$/.test(file)) continue
    const path = join(dir, file)
    let text = (await readFile(path, 'utf8')).replaceAll(PLACEHOLDERS.api, origins.api).replaceAll(PLACEHOLDERS.auth, origins.auth)
    if (source.html && file === 'index.html') text = text.replace(...source.html)
    await writeFile(path, text)
  }
  const modules = join(dir, 'node_modules')
  await mkdir(modules)
  await cp(workspace.packageDir, join(modules, 'sw-bearer'), { recursive: true })
  for (const name of LINKED) await symlink(join(ROOT, 'node_modules', name), join(modules, name), 'dir')
  return dir
}

/** `tsc -p dir`: the app's sources (sw.ts included) type-check as its tsconfig.json says, a Vite template's. */
export function typecheckApp(dir: string): void {
  const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', dir], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`tsc -p ${dir} failed:\n${result.stdout}${result.stderr}`)
}

/**
 * `vite build` in `dir`, through Vite's JS API, as production: vitest sets NODE_ENV to 'test',
 * which Vite would take for a development build (import.meta.env.DEV true). What the build prints
 * (vite-plugin-pwa's worker build logs whatever the log level) is shown only if it fails.
 */
export async function buildApp(dir: string): Promise<string> {
  const before = process.env.NODE_ENV
  const printed: unknown[][] = []
  const saved = { log: console.log, info: console.info, warn: console.warn, out: process.stdout.write, err: process.stderr.write }
  console.log = console.info = console.warn = (...args: unknown[]) => void printed.push(args)
  process.stdout.write = process.stderr.write = ((chunk: unknown) => printed.push([String(chunk)]) > 0) as typeof process.stdout.write
  process.env.NODE_ENV = 'production'
  try {
    await build({ root: dir, logLevel: 'warn', mode: 'production' })
  } catch (error) {
    saved.log(printed.map((args) => args.join(' ')).join('\n'))
    throw error
  } finally {
    process.env.NODE_ENV = before
    Object.assign(console, { log: saved.log, info: saved.info, warn: saved.warn })
    process.stdout.write = saved.out
    process.stderr.write = saved.err
  }
  return join(dir, 'dist')
}

/** `vite` (the dev server) in `dir`, on a free loopback port. */
export async function devServer(dir: string): Promise<{ server: ViteDevServer; port: number }> {
  const server = await createServer({ root: dir, logLevel: 'warn', server: { host: '127.0.0.1', port: 0, strictPort: false } })
  await server.listen()
  const address = server.httpServer!.address()
  if (!address || typeof address === 'string') throw new Error('vite dev server: no port')
  return { server, port: address.port }
}

/** Copies of Workbox in a built worker: how often each package's version marker (`workbox:core:7.4.0`) occurs. */
export interface WorkboxCopies {
  core: number
  routing: number
  /** Every marker found, with its count, for the record. */
  markers: Record<string, number>
}

/** Counts Workbox's version markers in the files a worker runs (its script and what it imports). */
export async function workboxCopies(files: string[]): Promise<WorkboxCopies> {
  const markers: Record<string, number> = {}
  for (const file of files) {
    for (const [marker] of (await readFile(file, 'utf8')).matchAll(/workbox:[a-z-]+:\d+\.\d+\.\d+/g)) markers[marker] = (markers[marker] ?? 0) + 1
  }
  const count = (name: string) => Object.entries(markers).reduce((n, [marker, c]) => (marker.startsWith(`workbox:${name}:`) ? n + c : n), 0)
  return { core: count('core'), routing: count('routing'), markers }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
}

/**
 * A static host for a built app (what a CDN or `vite preview` does): its files, `/` as index.html,
 * no SPA fallback. `root` can change (a deploy), and the host can go away and come back on the
 * same port (offline, then online).
 */
export class StaticSite {
  #server: Server | undefined
  #port = 0
  /** Requests this host answered: navigations and assets, to tell what the worker served instead. */
  readonly served: string[] = []

  constructor(public root: string) {}

  get origin(): string {
    return `http://localhost:${this.#port}`
  }

  async start(): Promise<void> {
    if (this.#server) return
    const server = createHttpServer(async (req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      this.served.push(path)
      const file = join(this.root, path.endsWith('/') ? `${path}index.html` : path)
      if (!file.startsWith(this.root)) return void res.writeHead(403).end()
      try {
        const body = await readFile(file)
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' }).end(body)
      } catch {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
      }
    })
    server.keepAliveTimeout = 1000
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.#port, '127.0.0.1', resolve))
    this.#port = (server.address() as AddressInfo).port
    this.#server = server
  }

  /** Gone: connections are refused, as for a visitor who went offline. */
  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/**
 * The files a built worker runs: `entry` and, transitively, what it imports (`import … from`),
 * `importScripts(…)`, and the chunks a generateSW loader `define([…])`s. Not the precache list:
 * those are the page's files.
 */
export async function workerFiles(dist: string, entry = 'sw.js'): Promise<string[]> {
  const found: string[] = []
  const visit = async (file: string) => {
    if (found.includes(file)) return
    found.push(file)
    const text = await readFile(join(dist, file), 'utf8')
    const named: string[] = []
    for (const [, spec] of text.matchAll(/(?:\bfrom|\bimport)\s*["']([^"']+)["']/g)) named.push(spec!)
    for (const [, list] of text.matchAll(/importScripts\(([^)]*)\)/g)) for (const [, s] of list!.matchAll(/["']([^"']+)["']/g)) named.push(s!)
    // A generateSW loader's dependencies, less its AMD pseudo-modules.
    for (const [, list] of text.matchAll(/define\(\[([^\]]*)\]/g)) {
      for (const [, s] of list!.matchAll(/["']([^"']+)["']/g)) if (s!.startsWith('.')) named.push(s!.endsWith('.js') ? s! : `${s}.js`)
    }
    for (const spec of named) await visit(join(dirname(file), spec).replace(/^\//, ''))
  }
  await visit(entry)
  return found.map((file) => join(dist, file))
}
