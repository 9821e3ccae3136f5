import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchCall } from './benchCall.js'
import { assertChromium, CHROMIUM, FLAGS } from './flags.js'

/**
 * The default driver: Chromium over its DevTools pipe, with nothing enabled but
 * what the bench calls. No Network domain on any page and no session on any
 * worker, so no request this bench times carries DevTools instrumentation, and a
 * restarting worker never waits for a debugger.
 */
export async function launchCdp() {
  assertChromium()
  const userDataDir = await mkdtemp(join(tmpdir(), 'sw-bearer-bench-'))
  const child = spawn(CHROMIUM, [...FLAGS, '--headless', '--remote-debugging-pipe', `--user-data-dir=${userDataDir}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const connection = new Connection(child.stdio[3], child.stdio[4])
  const { product } = await connection.send('Browser.getVersion')

  return {
    version: () => product.replace(/^(Headless)?Chrome\//, ''),
    async newContext() {
      const { browserContextId } = await connection.send('Target.createBrowserContext', { disposeOnDetach: true })
      return new CdpContext(connection, browserContextId)
    },
    async close() {
      await connection.send('Browser.close').catch(() => {})
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))])
      if (child.exitCode === null) child.kill()
      await rm(userDataDir, { recursive: true, force: true })
    },
  }
}

class CdpContext {
  constructor(connection, id) {
    this.connection = connection
    this.id = id
  }

  async openTab(url) {
    const { targetId } = await this.connection.send('Target.createTarget', { url: 'about:blank', browserContextId: this.id })
    const { sessionId } = await this.connection.send('Target.attachToTarget', { targetId, flatten: true })
    const tab = new CdpTab(this.connection, targetId, sessionId)
    await this.connection.send('Page.navigate', { url }, sessionId)
    const deadline = Date.now() + 20_000
    // A page may navigate on its own first (a sign-in redirect): an evaluate that meets the
    // old document's end fails, and simply asks again.
    const ready = () => tab.evaluate(`document.readyState === 'complete' && 'bench' in window`).catch(() => false)
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`the bench page at ${url} did not load`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return tab
  }

  /** Stops the context's workers as the browser does idle ones; resolves once they are stopped. */
  async stopWorkers(tab) {
    const versions = new Map()
    const stopped = new Promise((resolve) => {
      const off = this.connection.on(tab.sessionId, 'ServiceWorker.workerVersionUpdated', ({ versions: updated }) => {
        for (const v of updated) versions.set(v.versionId, v.runningStatus)
        if ([...versions.values()].every((status) => status === 'stopped')) {
          off()
          resolve()
        }
      })
    })
    await this.connection.send('ServiceWorker.enable', {}, tab.sessionId)
    await this.connection.send('ServiceWorker.stopAllWorkers', {}, tab.sessionId)
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5000))])
    await this.connection.send('ServiceWorker.disable', {}, tab.sessionId)
  }

  async close() {
    await this.connection.send('Target.disposeBrowserContext', { browserContextId: this.id }).catch(() => {})
  }
}

class CdpTab {
  constructor(connection, targetId, sessionId) {
    this.connection = connection
    this.targetId = targetId
    this.sessionId = sessionId
  }

  async close() {
    await this.connection.send('Target.closeTarget', { targetId: this.targetId }).catch(() => {})
  }

  async evaluate(expression) {
    const { result, exceptionDetails } = await this.connection.send(
      'Runtime.evaluate',
      { expression, awaitPromise: true, returnByValue: true },
      this.sessionId,
    )
    if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text)
    return result.value
  }

  call(name, ...args) {
    return this.evaluate(benchCall(name, args))
  }
}

/** CDP over --remote-debugging-pipe: JSON messages, each ended by a NUL byte. */
class Connection {
  #nextId = 1
  #pending = new Map()
  #listeners = new Set()
  #buffer = ''

  constructor(writable, readable) {
    this.writable = writable
    readable.setEncoding('utf8')
    readable.on('data', (chunk) => {
      const parts = (this.#buffer + chunk).split('\0')
      this.#buffer = parts.pop()
      for (const part of parts) this.#dispatch(JSON.parse(part))
    })
    readable.on('close', () => {
      for (const { reject } of this.#pending.values()) reject(new Error('Chromium went away'))
      this.#pending.clear()
    })
  }

  send(method, params = {}, sessionId) {
    const id = this.#nextId++
    this.writable.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`)
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, method }))
  }

  /** Listens for one event of one session; returns the function that stops listening. */
  on(sessionId, method, listener) {
    const entry = { sessionId, method, listener }
    this.#listeners.add(entry)
    return () => this.#listeners.delete(entry)
  }

  #dispatch(message) {
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id)
      this.#pending.delete(message.id)
      if (message.error) pending?.reject(new Error(`${pending.method}: ${message.error.message}`))
      else pending?.resolve(message.result)
      return
    }
    for (const { sessionId, method, listener } of this.#listeners) {
      if (sessionId === message.sessionId && method === message.method) listener(message.params)
    }
  }
}
