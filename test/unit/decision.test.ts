import { describe, expect, it } from 'vitest'
import { classify, nearMissOf, type Decision } from '../../common/decision.js'
import { describeDecision } from '../../common/describeDecision.js'
import { pageMessage, parsePageMessage, parseWorkerMessage, parseWorkerReply, okReply, workerMessage } from '../../common/protocol.js'

const LISTED: ReadonlySet<string> = new Set(['http://localhost:5502', 'https://api.example.com'])
const facts = (url: string, mode = 'cors', hasAuthorization = false) => ({ url: new URL(url), mode, hasAuthorization })

describe('the one rule both sides apply', () => {
  it('gives the token to an exact listed origin only, never to navigations, no-cors or a request with its own Authorization', () => {
    expect(classify(facts('http://localhost:5502/me'), LISTED)).toEqual({ getsToken: true })
    expect(classify(facts('http://localhost:5502/me', 'navigate'), LISTED)).toEqual({ getsToken: false, reason: 'navigation' })
    expect(classify(facts('http://localhost:5502/me', 'no-cors'), LISTED)).toEqual({ getsToken: false, reason: 'no-cors' })
    expect(classify(facts('http://localhost:5502/me', 'cors', true), LISTED)).toEqual({ getsToken: false, reason: 'own-authorization' })
    expect(classify(facts('https://api.example.com.evil.test/me'), LISTED)).toEqual({ getsToken: false, reason: 'not-listed' })
  })

  it('names the listed origin a request misses only by spelling: loopback alias, port, scheme, www', () => {
    expect(nearMissOf(new URL('http://127.0.0.1:5502/me'), LISTED)).toBe('http://localhost:5502')
    expect(nearMissOf(new URL('http://[::1]:5502/me'), LISTED)).toBe('http://localhost:5502')
    expect(nearMissOf(new URL('http://localhost:5503/me'), LISTED)).toBe('http://localhost:5502')
    expect(nearMissOf(new URL('http://api.example.com/me'), LISTED)).toBe('https://api.example.com')
    expect(nearMissOf(new URL('https://api.example.com:8443/me'), LISTED)).toBe('https://api.example.com')
    expect(nearMissOf(new URL('https://www.api.example.com/me'), LISTED)).toBe('https://api.example.com')
    const verdict = classify(facts('http://127.0.0.1:5502/me'), LISTED)
    expect(verdict).toEqual({ getsToken: false, reason: 'near-miss', nearMiss: 'http://localhost:5502' })
  })

  it('calls nothing a near miss that is another server or the page itself', () => {
    expect(nearMissOf(new URL('https://example.com/'), LISTED)).toBeUndefined()
    expect(nearMissOf(new URL('https://billing.example.com/'), LISTED)).toBeUndefined()
    expect(nearMissOf(new URL('https://api.example.com.evil.test/'), LISTED)).toBeUndefined()
    // The page's own origin (its assets, same-origin calls) is never a typo of the API's.
    expect(nearMissOf(new URL('http://localhost:5173/app.js'), LISTED, 'http://localhost:5173')).toBeUndefined()
    expect(nearMissOf(new URL('ws://localhost:5502/'), LISTED)).toBeUndefined()
  })

  it('describes a decision without any token, and names the near miss', () => {
    const text = describeDecision({ kind: 'skipped', method: 'GET', url: 'http://127.0.0.1:5502/me', reason: 'near-miss', nearMiss: 'http://localhost:5502' })
    expect(text).toContain('http://127.0.0.1:5502/me')
    expect(text).toContain('http://localhost:5502')
    for (const decision of [
      { kind: 'injected', method: 'GET', url: 'https://api.example.com/me' },
      { kind: 'refreshing', method: 'POST', url: 'https://api.example.com/me' },
      { kind: 'retried', method: 'POST', url: 'https://api.example.com/me', status: 200 },
      { kind: 'refresh-failed', code: 'provider-failed' },
    ] satisfies Decision[]) {
      expect(describeDecision(decision)).toMatch(/^sw-bearer: /)
    }
  })
})

describe('the protocol for inspect and decisions', () => {
  it('round-trips them and drops malformed ones', () => {
    const inspect = pageMessage('inspect', { url: 'https://api.example.com/me' })
    expect(parsePageMessage(structuredClone(inspect))).toEqual(inspect)
    expect(parsePageMessage({ ...inspect, url: 5 })).toBeNull()
    const renew = pageMessage('renew', { token: 'abc', reason: 'unauthorized' })
    expect(parsePageMessage(structuredClone(renew))).toEqual(renew)
    expect(parsePageMessage({ ...renew, reason: 'manual' })).toBeNull()
    expect(parsePageMessage({ ...renew, token: 7 })).toBeNull()
    const decision = workerMessage('decision', { decision: { kind: 'skipped', method: 'GET', url: 'u', reason: 'near-miss', nearMiss: 'n' } })
    expect(parseWorkerMessage(structuredClone(decision))).toEqual(decision)
    for (const bad of [{ kind: 'skipped', method: 'GET', url: 'u', reason: 'because' }, { kind: 'leaked', token: 'x' }, { kind: 'retried', method: 'GET', url: 'u' }, null]) {
      expect(parseWorkerMessage({ ...decision, decision: bad }), JSON.stringify(bad)).toBeNull()
    }
    const state = { claims: null, hasToken: false, stamp: 1, cause: 'load' as const }
    expect(parseWorkerReply(okReply(state, undefined, { getsToken: false, reason: 'not-listed' }))).not.toBeNull()
    expect(parseWorkerReply({ ...okReply(state), verdict: { getsToken: 'yes' } })).toBeNull()
  })
})
