/** A W3C WebDriver (classic) session on fetch: all the WebKit driver needs, no client library. */
export interface Session {
  /** What the remote end granted, browserVersion included. */
  capabilities: Record<string, unknown>
  command<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: object): Promise<T>
  quit(): Promise<void>
}

/** `signal` bounds the new session request: a browser that never starts would hang it. */
export async function newSession(base: string, capabilities: object, signal?: AbortSignal): Promise<Session> {
  const call = async (method: string, path: string, body?: object, signal?: AbortSignal) => {
    const response = await fetch(base + path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
      ...(signal && { signal }),
    })
    const { value } = (await response.json()) as { value: any }
    if (!response.ok || value?.error) throw new Error(`WebDriver ${method} ${path}: ${value?.error} ${value?.message ?? ''}`.trim())
    return value
  }
  const { sessionId, capabilities: granted } = await call('POST', '/session', { capabilities: { alwaysMatch: capabilities } }, signal)
  return {
    capabilities: granted,
    command: (method, path, body) => call(method, `/session/${sessionId}${path}`, body),
    quit: () => call('DELETE', `/session/${sessionId}`),
  }
}
