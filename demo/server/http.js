import { createServer } from 'node:http'

/**
 * A loopback HTTP server. Only 127.0.0.1: a demo that mints tokens has no business
 * listening on the network. Keep-alive sockets are cut on close so Ctrl-C is instant.
 *
 * @param {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => unknown} handler
 * @param {number} port 0 for any free port
 * @returns {Promise<{ port: number, close(): Promise<void> }>}
 */
export function listen(handler, port) {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((error) => {
      console.error(error)
      if (!res.headersSent) sendJSON(res, 500, { error: 'server_error' })
      else res.end()
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} is taken: pass other ports, e.g. npm run demo -- --port 4500 --api-port 4501`)
          : error,
      )
    })
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

/** @param {import('node:http').ServerResponse} res */
export function sendJSON(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

/**
 * Reads a small JSON body; anything else is an empty object.
 * @param {import('node:http').IncomingMessage} req
 */
export async function readJSON(req, limit = 16 * 1024) {
  let size = 0
  const chunks = []
  for await (const chunk of req) {
    size += chunk.length
    if (size > limit) return {}
    chunks.push(chunk)
  }
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}
  } catch {
    return {}
  }
}

/** @param {import('node:http').IncomingMessage} req */
export function readCookie(req, name) {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return undefined
}
