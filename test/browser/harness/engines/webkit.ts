import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { CAPABILITIES, pollUntil, Unsupported, type Context, type Engine, type Tab } from './engine.js'
import { startLoopbackProxy } from './loopbackProxy.js'
import { newSession, type Session } from './webdriver.js'

export const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'

const onPath = (name: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, name)))

export function assertWebKit(): void {
  if (!existsSync(MINIBROWSER) || !onPath('WebKitWebDriver') || !onPath('Xvfb')) {
    throw new Error(`WebKit not found (MiniBrowser at ${MINIBROWSER}, WebKitWebDriver and Xvfb on PATH): run "sudo apt-get install -y webkit2gtk-driver xvfb" (or set MINIBROWSER_PATH)`)
  }
}

/**
 * WebKitGTK's MiniBrowser (not Safari) through WebKitWebDriver, under a private Xvfb display.
 * A WebDriver session has one profile, and a WebKitWebDriver one session: each context is a driver of its own.
 */
export async function webkitEngine(): Promise<Engine> {
  const [xvfb, proxy] = await Promise.all([startXvfb(), startLoopbackProxy()])
  const capabilities = {
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    // *.test lookalike hosts reach loopback through the proxy; everything else goes direct.
    proxy: { proxyType: 'manual', httpProxy: `127.0.0.1:${proxy.port}`, noProxy: ['localhost', '127.0.0.1'] },
  }
  const open = async (tries = 5): Promise<Session> => {
    const port = await freePort()
    const driver = track(spawn('WebKitWebDriver', [`--port=${port}`, '--host=local'], { env: { ...process.env, DISPLAY: xvfb.display }, stdio: ['ignore', 'pipe', 'pipe'] }))
    let log = ''
    driver.stdout!.on('data', (chunk) => (log = (log + chunk).slice(-2000)))
    driver.stderr!.on('data', (chunk) => (log = (log + chunk).slice(-2000)))
    const base = `http://127.0.0.1:${port}`
    try {
      await pollUntil(() => fetch(`${base}/status`).then((r) => r.ok, () => false), 15_000)
      // Now and then (about 1 session in 6 here) MiniBrowser never comes up and the new session
      // hangs for good, where it otherwise starts in 0.2–0.4 s on an idle machine (measured over 25
      // sessions with a 40 s bound): a fresh driver then does. Not sooner than 8 s: under a test
      // run's load slow starts are common, and a 4 s bound gave 36 retries in a full run, not 14.
      const session = await newSession(base, capabilities, AbortSignal.timeout(8_000))
      // The driver awaits a promise an evaluate returns, and tests wait on refreshes for tens of seconds.
      await session.command('POST', '/timeouts', { script: 300_000 })
      return { ...session, quit: () => session.quit().finally(() => stop(driver)) }
    } catch (error) {
      await stop(driver)
      if (tries > 1) {
        console.warn(`webkit: no WebDriver session (${String(error)}), trying a fresh driver`)
        return open(tries - 1)
      }
      throw new Error(`WebKit: no WebDriver session (${String(error)}); WebKitWebDriver said: ${log}`)
    }
  }
  const probe = await open()
  const version = `WebKitGTK ${probe.capabilities.browserVersion}`
  await probe.quit()
  return {
    name: 'webkit',
    version,
    can: CAPABILITIES.webkit,
    newContext: async () => webkitContext(await open()),
    async clearSiteData() {
      throw new Unsupported('webkit', "clear an origin's site data (WebDriver classic has no such command)")
    },
    async hardReload() {
      throw new Unsupported('webkit', 'reload bypassing the cache (WebDriver classic has no such command)')
    },
    async stopWorkers() {
      throw new Unsupported('webkit', 'stop a service worker while a page of its origin is open (it stops one ~10 s after the last one left)')
    },
    async close() {
      await stop(xvfb.process)
      await proxy.close()
    },
  }
}

async function webkitContext(session: Session): Promise<Context> {
  let current: string = await session.command('GET', '/window')
  // The session's first window, until a tab takes it.
  let spare: string | undefined = current
  let queue: Promise<unknown> = Promise.resolve()
  /** One command at a time per session, so switching to a window and the command meant for it never interleave with another tab's. */
  const inWindow = <T>(handle: string, run: () => Promise<T>): Promise<T> => {
    const result = queue.then(async () => {
      if (current !== handle) await session.command('POST', '/window', { handle })
      current = handle
      return run()
    })
    queue = result.catch(() => {})
    return result
  }
  const openWindow = async (): Promise<string> => {
    const handle = spare ?? (await inWindow(current, () => session.command('POST', '/window/new', { type: 'tab' }))).handle
    spare = undefined
    return handle
  }
  /** Closes a tab; the last one is blanked and kept instead, since the session ends with its last window. */
  const closeWindow = (handle: string): Promise<void> =>
    inWindow(handle, async () => {
      const handles: string[] = await session.command('GET', '/window/handles')
      const other = handles.find((h) => h !== handle)
      if (other === undefined) {
        await session.command('POST', '/url', { url: 'about:blank' })
        spare = handle
        return
      }
      await session.command('DELETE', '/window')
      await session.command('POST', '/window', { handle: other })
      current = other
    })
  const tabIn = (handle: string) => webkitTab(handle, inWindow, session, closeWindow)
  return {
    newPage: async () => tabIn(await openWindow()),
    async addCookies(cookies) {
      // WebDriver sets a cookie only for the document a window shows: visit each cookie's URL first.
      const wasSpare = spare !== undefined
      const handle = await openWindow()
      const tab = tabIn(handle)
      for (const { name, value, url } of cookies) {
        await tab.goto(url)
        await inWindow(handle, () => session.command('POST', '/cookie', { cookie: { name, value, path: '/' } }))
      }
      if (wasSpare) {
        await tab.goto('about:blank')
        spare = handle
      } else await tab.close()
    },
    close: () => session.quit(),
  }
}

type InWindow = <T>(handle: string, run: () => Promise<T>) => Promise<T>

function webkitTab(handle: string, inWindow: InWindow, session: Session, closeWindow: (handle: string) => Promise<void>): Tab {
  const evaluate = async (fn: (arg: unknown) => unknown, arg?: unknown) => {
    // A rejection as a value, so its message survives the driver's "javascript error"; a result as
    // JSON, as other drivers give it back (WebDriver would try to return a DOM node by reference).
    const script = `const args = arguments
return Promise.resolve().then(() => (${fn})(...args)).then(
  (value) => ({ value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)) }),
  (error) => ({ error: String(error && error.stack || error) }))`
    const result = await inWindow(handle, () => session.command('POST', '/execute/sync', { script, args: arg === undefined ? [] : [arg] }))
    if ('error' in result) throw new Error(`evaluate: ${result.error}`)
    return result.value
  }
  return {
    evaluate: evaluate as Tab['evaluate'],
    goto: (url) => inWindow(handle, () => session.command('POST', '/url', { url })),
    reload: () => inWindow(handle, () => session.command('POST', '/refresh', {})),
    goBack: () => inWindow(handle, () => session.command('POST', '/back', {})),
    waitForFunction: (fn, arg, options) => pollUntil(() => evaluate(fn as (arg: unknown) => unknown, arg), options?.timeout),
    close: () => closeWindow(handle),
  }
}

// Children this process started, killed by pid if it exits without closing the engine (a crash, a timeout).
const children = new Set<ChildProcess>()
process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')))
function track(child: ChildProcess): ChildProcess {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const hard = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(hard)
}

/** Xvfb on a display it picks itself (-displayfd), so parallel runs never collide. */
async function startXvfb(): Promise<{ display: string; process: ChildProcess }> {
  const xvfb = track(spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] }))
  const display = await new Promise<string>((resolve, reject) => {
    let out = ''
    xvfb.stdio[3]!.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) resolve(`:${out.trim()}`)
    })
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)))
  })
  return { display, process: xvfb }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}
