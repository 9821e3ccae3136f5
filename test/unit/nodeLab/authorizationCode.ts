import { createHash, randomBytes } from 'node:crypto'

/**
 * The front channel of a sign-in, walked from Node: /authorize, the provider's scripted login and
 * consent (tools/openidProvider.js, login 'auto'), and back to the redirect URI with a code. The
 * provider's redirects and cookies are followed as a browser would, so the code is as real as an
 * SDK's; redeeming it (and its DPoP proof) is left to the caller.
 */
export async function authorizationCode(options: { issuerOrigin: string; clientId: string; redirectUri: string; user: string }): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url')
  const authorize = new URL('/authorize', options.issuerOrigin)
  for (const [name, value] of Object.entries({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: 'openid offline_access',
    state: randomBytes(8).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    login_hint: options.user,
  })) {
    authorize.searchParams.set(name, value)
  }
  const jar = new CookieJar()
  let url = authorize.href
  // Login and consent are two interactions, each a round trip through /authorize: a handful of hops.
  for (let hop = 0; hop < 12; hop++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } })
    jar.take(response)
    const location = response.headers.get('location')
    if (!location) throw new Error(`authorizationCode: ${response.status} at ${url}: ${(await response.text()).slice(0, 300)}`)
    url = new URL(location, url).href
    if (url.startsWith(options.redirectUri)) {
      const back = new URL(url).searchParams
      const code = back.get('code')
      if (!code) throw new Error(`authorizationCode: the provider sent back ${back}`)
      return { code, verifier }
    }
  }
  throw new Error('authorizationCode: too many redirects')
}

/** Enough of a browser's cookie jar for one provider on one host: names, paths, deletions. */
class CookieJar {
  #cookies = new Map<string, { value: string; path: string }>()

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim())
      const [name = '', value = ''] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]
      const attribute = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1)
      const expires = attribute('expires')
      // oidc-provider ends a cookie by sending it again, empty and expired.
      if (!value || (expires && Date.parse(expires) < Date.now()) || attribute('max-age') === '0') this.#cookies.delete(name)
      else this.#cookies.set(name, { value, path: attribute('path') ?? '/' })
    }
  }

  header(url: string): string {
    const path = new URL(url).pathname
    return [...this.#cookies]
      .filter(([, cookie]) => path.startsWith(cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ')
  }
}
