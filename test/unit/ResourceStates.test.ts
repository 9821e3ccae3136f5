import { describe, expect, it, vi } from 'vitest'
import { ResourceStates } from '../../src/resources/ResourceStates.js'

const R = 'https://billing.example.com/'

describe('ResourceStates: each resource taken by its own stamp', () => {
  it('takes a newer state for a resource though the default token did not change, and fires once per change', () => {
    const states = new ResourceStates()
    const changed = vi.fn()
    states.apply({ [R]: { claims: null, hasToken: false, stamp: 5 } }, changed)
    expect(changed).not.toHaveBeenCalled() // the first state is where the tab starts
    expect(states.names).toEqual([R])
    states.apply({ [R]: { claims: { sub: 'a' }, hasToken: true, stamp: 6 } }, changed)
    expect(states.get(R)).toEqual({ claims: { sub: 'a' }, hasToken: true })
    expect(changed).toHaveBeenCalledWith({ resource: R, claims: { sub: 'a' }, hasToken: true })
    states.apply({ [R]: { claims: { sub: 'a' }, hasToken: true, stamp: 6 } }, changed) // the reply and the broadcast
    expect(changed).toHaveBeenCalledTimes(1)
  })

  it('drops an older state that arrives late', () => {
    const states = new ResourceStates()
    states.apply({ [R]: { claims: null, hasToken: false, stamp: 9 } }, () => {})
    states.apply({ [R]: { claims: { sub: 'old' }, hasToken: true, stamp: 8 } }, () => {})
    expect(states.get(R)).toEqual({ claims: null, hasToken: false })
  })

  it('forgets a resource the worker no longer lists (a deploy removed it)', () => {
    const states = new ResourceStates()
    states.apply({ [R]: { claims: null, hasToken: true, stamp: 1 }, other: { claims: null, hasToken: false, stamp: 1 } }, () => {})
    states.apply({ other: { claims: null, hasToken: false, stamp: 2 } }, () => {})
    expect(states.names).toEqual(['other'])
    states.apply(undefined, () => {})
    expect(states.names).toEqual([])
  })
})
