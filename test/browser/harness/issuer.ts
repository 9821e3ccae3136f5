import { randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'

export type ProviderMode = 'ok' | 'null' | 'throw' | 'hang' | 'expired' | 'same' | 'non-string' | 'opaque'

const KEY = new TextEncoder().encode('test-only-signing-key-not-a-secret')

/**
 * Plays the auth SDK behind a page's getAccessToken: like every real SDK it serves its
 * cached token until that is revoked, near expiry or the call forces a refresh; it counts
 * calls and misbehaves on demand. The API accepts exactly the tokens in `valid`.
 */
export class Issuer {
  mode: ProviderMode = 'ok'
  lifetimeSeconds = 3600
  /** Extra latency on each provider call. */
  delayMs = 0
  calls = 0
  readonly valid = new Set<string>()
  readonly issued: string[] = []
  #hanging: Array<() => void> = []

  reset(): void {
    this.mode = 'ok'
    this.lifetimeSeconds = 3600
    this.mints = 0
    this.caches = true
    this.clockOffsetSeconds = 0
    this.delayMs = 0
    this.calls = 0
    this.valid.clear()
    this.issued.length = 0
    this.releaseHanging()
  }

  /** Revokes every token issued so far: the next API call with one gets a 401. */
  revokeAll(): void {
    this.valid.clear()
  }

  /** Resolves once the provider has been called `count` times in all. */
  async whenCalled(count: number): Promise<void> {
    while (this.calls < count) await new Promise((r) => setTimeout(r, 20))
  }

  releaseHanging(): void {
    for (const release of this.#hanging.splice(0)) release()
  }

  async mint(lifetimeSeconds = this.lifetimeSeconds): Promise<string> {
    this.mints++
    const now = Math.floor(Date.now() / 1000) + this.clockOffsetSeconds
    const token = await new SignJWT({ sid: `s-${randomBytes(4).toString('hex')}` })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('user-1')
      .setIssuer('test-issuer')
      .setAudience('test-api')
      .setIssuedAt(now)
      .setExpirationTime(now + lifetimeSeconds)
      .setJti(randomBytes(8).toString('hex'))
      .sign(KEY)
    return this.#keep(token)
  }

  mintOpaque(): string {
    return this.#keep(`opaque_${randomBytes(24).toString('base64url')}`)
  }

  /** False: every call mints, as if each page had an SDK of its own. */
  caches = true
  /** Calls that minted a token: what reached the authorization server. */
  mints = 0
  /** Seconds added to iat/exp: the issuer's clock against the browser's. */
  clockOffsetSeconds = 0

  /**
   * The SDK's answer for one getAccessToken call: JSON body and status. Unforced, it
   * hands back its last token while that is still valid and has over 60 s left (what
   * auth0-spa-js and okta-auth-js do); nothing from the API tells it about a revocation.
   */
  async answer(forceRefresh = true): Promise<{ status: number; body: unknown }> {
    this.calls++
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs))
    switch (this.mode) {
      case 'hang':
        await new Promise<void>((release) => this.#hanging.push(release))
        return { status: 503, body: { error: 'released' } }
      case 'null':
        return { status: 200, body: { token: null } }
      case 'throw':
        return { status: 500, body: { error: 'provider down' } }
      case 'non-string':
        return { status: 200, body: { token: 42 } }
      case 'expired':
        return { status: 200, body: { token: await this.mint(-60) } }
      case 'same':
        return { status: 200, body: { token: this.issued.at(-1) ?? (await this.mint()) } }
      case 'opaque':
        return { status: 200, body: { token: this.mintOpaque() } }
      default: {
        const cached = this.issued.at(-1)
        if (!forceRefresh && this.caches && cached && this.#secondsLeft(cached) > 60) return { status: 200, body: { token: cached } }
        return { status: 200, body: { token: await this.mint() } }
      }
    }
  }

  #secondsLeft(token: string): number {
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}').exp
    return typeof exp === 'number' ? exp - this.clockOffsetSeconds - Date.now() / 1000 : Infinity
  }

  #keep(token: string): string {
    this.valid.add(token)
    this.issued.push(token)
    return token
  }
}
