import type { IncomingMessage, ServerResponse } from 'node:http'
import { decodeJwt } from 'jose'
import { serve, type Served } from './httpServer.js'

export interface Hit {
  method: string
  host: string
  path: string
  /** The `id` query parameter tests put on each request, to count its sends. */
  id: string | null
  authorization: string | undefined
  cookie: string | undefined
  contentType: string | undefined
  body: Buffer
}

export interface ApiServer extends Served {
  hits: Hit[]
  /** Requests that carried a token, whatever the host they were addressed to. */
  withToken(): Hit[]
  sends(id: string): Hit[]
  /** Stop answering: the socket is destroyed so the page sees a network error. */
  down: boolean
  /** Set to serve an SDK's token route on this origin: /token?force=0|1 and the OAuth /oauth/token form POST. */
  issue?: (forceRefresh: boolean) => Promise<{ status: number; body: unknown }>
}

/**
 * A CORS API that records every request. `accepts(token)` decides its 401s.
 * Routes: /echo, /auth (401 unless accepted; ?ms=N checks after a delay), /always401,
 * /status?code=N, /redirect?to=URL, /slow?ms=N, /trickle?ms=N, and with `issue` set /token and /oauth/token.
 */
export async function startApi(accepts: (token: string) => boolean): Promise<ApiServer> {
  const hits: Hit[] = []
  const api = {
    hits,
    down: false,
    withToken: () => hits.filter((h) => h.authorization !== undefined),
    sends: (id: string) => hits.filter((h) => h.id === id),
  } as ApiServer
  const served = await serve(async (req, res, body) => {
    if (api.down) return void req.socket.destroy()
    const url = new URL(req.url ?? '/', 'http://x')
    allowCors(req, res)
    // A preflight; an OPTIONS request the page itself sent is recorded like any other.
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) return void res.writeHead(204).end()
    const authorization = req.headers.authorization
    hits.push({
      method: req.method ?? '',
      host: req.headers.host ?? '',
      path: url.pathname,
      id: url.searchParams.get('id'),
      authorization,
      cookie: req.headers.cookie,
      contentType: req.headers['content-type'],
      body,
    })
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined
    switch (url.pathname) {
      case '/token':
      case '/oauth/token': {
        if (!api.issue) break
        const form = new URLSearchParams(body.toString())
        const { status, body: answer } = await api.issue((url.searchParams.get('force') ?? form.get('force')) !== '0')
        return json(res, status, answer)
      }
      case '/auth':
        if (url.searchParams.has('ms')) await new Promise((r) => setTimeout(r, Number(url.searchParams.get('ms'))))
        if (token && accepts(token) && !expired(token)) {
          return json(res, 200, { ok: true, bodyBase64: body.toString('base64'), contentType: req.headers['content-type'] ?? null })
        }
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"')
        return json(res, 401, { ok: false })
      case '/status':
        return json(res, Number(url.searchParams.get('code')), { ok: false })
      case '/always401':
        return json(res, 401, { ok: false })
      case '/redirect':
        res.writeHead(302, { Location: url.searchParams.get('to') ?? '/' })
        return void res.end()
      case '/slow':
        await new Promise((r) => setTimeout(r, Number(url.searchParams.get('ms') ?? 1000)))
        return json(res, 200, { ok: true })
      case '/trickle':
        // Headers and a first part now, the rest after ?ms=N: a body still arriving.
        res.writeHead(200, { 'Content-Type': 'text/plain' }).write('first part;')
        await new Promise((r) => setTimeout(r, Number(url.searchParams.get('ms') ?? 1000)))
        return void res.end(token ? 'last part' : 'last part, no token')
    }
    switch (url.pathname) {
      default:
        return json(res, 200, {
          method: req.method,
          authorization: authorization ?? null,
          contentType: req.headers['content-type'] ?? null,
          bodyBase64: body.toString('base64'),
        })
    }
  })
  return Object.assign(api, served)
}

function expired(token: string): boolean {
  try {
    const { exp } = decodeJwt(token)
    return typeof exp === 'number' && exp * 1000 < Date.now()
  } catch {
    return false // opaque: the valid set decides
  }
}

function allowCors(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*')
  res.setHeader('Access-Control-Allow-Credentials', 'true')
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Test')
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, PROPFIND, REPORT, SEARCH, QUERY, MKCALENDAR')
  res.setHeader('Access-Control-Max-Age', '600')
  res.setHeader('Vary', 'Origin')
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(body))
}
