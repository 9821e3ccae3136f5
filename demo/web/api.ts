/**
 * The app's API calls: plain fetch and XMLHttpRequest, no token anywhere. The
 * service worker adds the Authorization header on the way out.
 */
const API = __JOTTER_API__

export interface Profile {
  sub: string
  name: string | null
  clientId: string | null
  tokenId: string
  tokenIssuedAt: number
  tokenExpiresAt: number
}

export interface Note {
  id: string
  text: string
  createdAt: number
}

export interface Answer<T> {
  status: number
  ms: number
  body: T | { error?: string; error_description?: string } | null
}

export function isOk<T>(answer: Answer<T>): answer is Answer<T> & { body: T } {
  return answer.status >= 200 && answer.status < 300 && answer.body !== null
}

async function send<T>(path: string, init?: RequestInit): Promise<Answer<T>> {
  const started = performance.now()
  const response = await fetch(`${API}${path}`, init)
  const body = (await response.json().catch(() => null)) as Answer<T>['body']
  return { status: response.status, ms: Math.round(performance.now() - started), body }
}

export const getProfile = () => send<Profile>('/me')

export const postNote = (text: string) =>
  send<{ note: Note }>('/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) })

export const revokeSession = () => send<{ revoked: number }>('/session/revoke', { method: 'POST' })

/** XMLHttpRequest on purpose: the worker sees it like any other request. */
export function listNotes(): Promise<Answer<{ notes: Note[] }>> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('GET', `${API}/notes`)
    xhr.responseType = 'json'
    xhr.onload = () => resolve({ status: xhr.status, ms: Math.round(performance.now() - started), body: xhr.response })
    xhr.onerror = () => reject(new Error('The API could not be reached'))
    xhr.send()
  })
}
