import { createServer, request } from 'node:http'
import { listening, type Served } from '../httpServer.js'

/**
 * An HTTP forward proxy that sends every `*.test` host to 127.0.0.1, for an engine with no host
 * resolver rules (WebKitGTK): what Chromium's --host-resolver-rules does. Nothing else goes through
 * it, and a refused upstream connection is a refused one for the page too.
 */
export async function startLoopbackProxy(): Promise<Served> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://invalid')
    if (!url.hostname.endsWith('.test')) return void res.writeHead(502).end('only *.test hosts')
    const upstream = request({ host: '127.0.0.1', port: url.port || 80, method: req.method, path: url.pathname + url.search, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => req.socket.destroy())
    req.pipe(upstream)
  })
  return listening(server)
}
