/**
 * The demo's "auth SDK": what Privy, Auth0 or WorkOS would give you. It talks to
 * the issuer on this page's origin with its session cookie. Only getAccessToken
 * ever sees a token, and it hands it straight to sw-bearer.
 */

/** Resolves with a fresh access token, or null when nobody is signed in. */
export async function getAccessToken(): Promise<string | null> {
  const response = await fetch('/auth/token', { method: 'POST', credentials: 'same-origin', cache: 'no-store' })
  if (!response.ok) throw new Error(`The token endpoint answered ${response.status}`)
  const body = (await response.json()) as { access_token?: unknown; error?: unknown }
  // login_required is the provider saying "signed out"; sw-bearer's word for that is null.
  if (body.access_token === null && body.error === 'login_required') return null
  if (typeof body.access_token !== 'string') throw new Error('The token endpoint sent no access_token')
  return body.access_token
}

export async function signIn(name: string): Promise<void> {
  const response = await fetch('/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  })
  if (!response.ok) throw new Error(`Sign-in failed (${response.status})`)
}

export async function signOut(): Promise<void> {
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' })
}
