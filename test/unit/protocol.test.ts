import { describe, expect, it } from 'vitest'
import {
  errorReply,
  okReply,
  pageMessage,
  parsePageMessage,
  parseRefreshAnswer,
  parseWorkerMessage,
  parseWorkerReply,
  refreshAnswer,
  workerMessage,
  type SessionState,
} from '../../common/protocol.js'

const state: SessionState = { claims: { sub: 'u' }, hasToken: true, stamp: 5, cause: 'set' }

describe('protocol', () => {
  it('round-trips every message it builds', () => {
    for (const message of [
      pageMessage('hello', {}),
      pageMessage('set-token', { token: 'abc' }),
      pageMessage('set-token', { token: null }),
      pageMessage('logout', {}),
      pageMessage('refresh', {}),
      pageMessage('ensure-fresh', {}),
      pageMessage('start', {}),
    ]) {
      expect(parsePageMessage(structuredClone(message))).toEqual(message)
    }
    expect(parseWorkerMessage(workerMessage('state', { state }))).toEqual(workerMessage('state', { state }))
    expect(parseWorkerMessage(workerMessage('refresh-request', { reason: 'unauthorized' }))).not.toBeNull()
    expect(parseWorkerMessage(workerMessage('refresh-request', { reason: 'expiring', timeoutMs: 5000 }))).not.toBeNull()
    expect(parseWorkerMessage(workerMessage('refresh-request', { reason: 'expiring', timeoutMs: 5000, sentAt: Date.now() }))).not.toBeNull()
    for (const reason of ['startup', 'unauthorized', 'expiring', 'visible', 'manual'] as const) {
      const request = workerMessage('refresh-request', { reason, forceRefresh: reason !== 'startup', timeoutMs: 5000 })
      expect(parseWorkerMessage(structuredClone(request))).toEqual(request)
    }
    const stale = workerMessage('error', { error: { code: 'stale-token', message: 'stale token' } })
    expect(parseWorkerMessage(structuredClone(stale))).toEqual(stale)
    expect(parseWorkerReply(okReply(state, 'tok'))).toEqual(okReply(state, 'tok'))
    expect(parseWorkerReply(errorReply({ code: 'invalid-token', message: 'no' }))).not.toBeNull()
    expect(parseRefreshAnswer(refreshAnswer('refresh-ack', {}))).not.toBeNull()
    expect(parseRefreshAnswer(refreshAnswer('refresh-result', { token: null }))).not.toBeNull()
  })

  it('carries a resource in refresh messages and each resource\'s state in the session state, and drops malformed ones', () => {
    const R = 'https://billing.example.com/'
    const refresh = pageMessage('refresh', { resource: R })
    expect(parsePageMessage(structuredClone(refresh))).toEqual(refresh)
    expect(parsePageMessage({ ...refresh, resource: '' })).toBeNull()
    expect(parsePageMessage({ ...refresh, resource: 7 })).toBeNull()
    const request = workerMessage('refresh-request', { reason: 'unauthorized', forceRefresh: true, resource: R })
    expect(parseWorkerMessage(structuredClone(request))).toEqual(request)
    expect(parseWorkerMessage({ ...request, resource: {} })).toBeNull()
    const withResources = { ...state, resources: { [R]: { claims: { aud: R }, hasToken: true, stamp: 3 } } }
    expect(parseWorkerMessage(workerMessage('state', { state: withResources }))).not.toBeNull()
    expect(parseWorkerMessage(workerMessage('state', { state: { ...state, resources: { [R]: { hasToken: 'yes' } } } as never }))).toBeNull()
  })

  it('rejects anything without the sw-bearer envelope or of another version', () => {
    for (const data of [null, undefined, 1, 'hello', [], {}, { type: 'hello' }, { protocol: 'sw-bearer', v: 2, type: 'hello' }, { protocol: 'other', v: 1, type: 'hello' }]) {
      expect(parsePageMessage(data)).toBeNull()
      expect(parseWorkerMessage(data)).toBeNull()
      expect(parseWorkerReply(data)).toBeNull()
      expect(parseRefreshAnswer(data)).toBeNull()
    }
  })

  it('rejects messages whose fields have the wrong types', () => {
    const env = { protocol: 'sw-bearer', v: 1 }
    expect(parsePageMessage({ ...env, type: 'set-token', token: 1 })).toBeNull()
    expect(parsePageMessage({ ...env, type: 'set-token' })).toBeNull()
    expect(parsePageMessage({ ...env, type: 'set-origins', origins: [] })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'state', state: { ...state, stamp: '5' } })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'refresh-request', reason: 'because' })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'refresh-request', reason: 'manual', timeoutMs: '5000' })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'refresh-request', reason: 'manual', sentAt: 'yesterday' })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'refresh-request', reason: 'manual', sentAt: Number.NaN })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'refresh-request', reason: 'manual', forceRefresh: 'yes' })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'error', error: { code: 'made-up', message: 'x' } })).toBeNull()
    expect(parseWorkerMessage({ ...env, type: 'error' })).toBeNull()
    expect(parseWorkerReply({ ...env, ok: false, error: { code: 'nope', message: 'x' } })).toBeNull()
    expect(parseRefreshAnswer({ ...env, type: 'refresh-result', token: {} })).toBeNull()
  })
})
