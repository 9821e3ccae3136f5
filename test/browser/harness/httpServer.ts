import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Served {
  port: number
  close(): Promise<void>
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>

/** A loopback HTTP server on a free port; keep-alive sockets are cut on close. */
export async function serve(handler: Handler, host = '127.0.0.1'): Promise<Served> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks))).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500)
        res.end(String(error))
      })
    })
  })
  server.keepAliveTimeout = 1000
  return listening(server, host)
}

/** Starts `server` on a free loopback port; closing it cuts keep-alive sockets. */
export async function listening(server: Server, host = '127.0.0.1'): Promise<Served> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
