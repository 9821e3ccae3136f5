import 'fake-indexeddb/auto'
import { beforeEach, describe, expect, it } from 'vitest'
import { deleteDB } from 'idb'
import type { SessionState } from '../../common/protocol.js'
import { parseOrigins } from '../../sw/origins.js'
import { Rooms } from '../../sw/resources/Rooms.js'
import { dbName, readToken, recordKey, writeToken } from '../../sw/tokenStore.js'
import { alice, aliceBilling, API, BILLING, bob, jwt, RESOURCE, statesOnly } from './resourceFixtures.js'


// The flights and the fetch path are other modules' tests: here only the states and their tie.
const furnish = statesOnly

/** A worker's rooms, as installTokenInjection builds them, and what the tabs were told. */
function start() {
  const told: SessionState[] = []
  const rooms = new Rooms(parseOrigins([API, { origin: BILLING, resource: RESOURCE }]), (s) => told.push(s), () => {}, furnish)
  return { rooms, told, billing: rooms.forOrigin(BILLING)!.state, main: rooms.default.state }
}

beforeEach(() => deleteDB(dbName()))

describe('Rooms: a token per resource, tied to the default token', () => {
  it('each origin gets its own room: the default for a plain entry, the resource for its entry', () => {
    const { rooms } = start()
    expect(rooms.forOrigin(API)).toBe(rooms.default)
    expect(rooms.forOrigin(BILLING)!.resource).toBe(RESOURCE)
    expect(rooms.forOrigin('https://other.example.com')).toBeUndefined()
  })

  it('a resource has no token until its first use, then is fetched (known false) while the default is signed in', async () => {
    const { rooms, billing, main } = start()
    await Promise.all(rooms.all.map((r) => r.state.load()))
    await main.set(alice, 'set', true)
    expect(billing.token).toBeNull()
    expect(billing.known).toBe(false)
  })

  it('a logout clears every resource, in memory at once and in storage', async () => {
    const { rooms, billing, main } = start()
    await Promise.all(rooms.all.map((r) => r.state.load()))
    await main.set(alice, 'set', true)
    await billing.set(aliceBilling, 'refresh', false)
    const reply = rooms.snapshot(await main.set(null, 'logout', true))
    expect(billing.token).toBeNull()
    expect(billing.known).toBe(true)
    expect(reply.resources![RESOURCE]).toMatchObject({ hasToken: false })
    await new Promise((r) => setTimeout(r, 20))
    expect((await readToken(recordKey(RESOURCE))).token).toBeUndefined()
  })

  it('another user signing in (a set, or a refresh that brings another sub) drops the last one\'s resource tokens', async () => {
    const { rooms, billing, main } = start()
    await Promise.all(rooms.all.map((r) => r.state.load()))
    await main.set(alice, 'set', true)
    await billing.set(aliceBilling, 'refresh', false)
    await main.set(jwt({ sub: 'alice', aud: API, jti: 2 }), 'refresh', false)
    expect(billing.token).toBe(aliceBilling) // a refresh of the same sign-in keeps it
    await main.set(bob, 'refresh', false)
    expect(billing.token).toBeNull()
    expect(billing.known).toBe(false)
    await billing.set(jwt({ sub: 'bob', aud: RESOURCE }), 'refresh', false)
    await main.set(bob, 'set', true) // a set is a sign-in, even of the same sub
    expect(billing.token).toBeNull()
  })

  it('a restarted worker keeps a resource token stored under the same sign-in', async () => {
    const first = start()
    await Promise.all(first.rooms.all.map((r) => r.state.load()))
    await first.main.set(alice, 'set', true)
    await first.billing.set(aliceBilling, 'refresh', false)
    const restarted = start()
    await restarted.billing.load()
    expect(restarted.billing.token).toBe(aliceBilling)
    expect(restarted.rooms.snapshot('load').resources![RESOURCE]).toMatchObject({ hasToken: true, claims: { aud: RESOURCE } })
  })

  it('a resource token stored under another sign-in is never used: an older version wrote the default token since (rollback, redeploy)', async () => {
    const first = start()
    await Promise.all(first.rooms.all.map((r) => r.state.load()))
    await first.main.set(alice, 'set', true)
    await first.billing.set(aliceBilling, 'refresh', false)
    // An older version, which knows no resources, signs Bob in: it writes the default record only.
    await writeToken(bob, Date.now() + 10)
    const restarted = start()
    // The first request to billing after the restart waits for this load: nothing older goes out.
    await restarted.billing.load()
    expect(restarted.billing.token).toBeNull()
    expect(restarted.billing.known).toBe(false)
  })

  it('a resource token is not used once the default is signed out in storage', async () => {
    const first = start()
    await Promise.all(first.rooms.all.map((r) => r.state.load()))
    await first.main.set(alice, 'set', true)
    await first.billing.set(aliceBilling, 'refresh', false)
    await writeToken(null, Date.now() + 10) // an older version logged out
    const restarted = start()
    await restarted.billing.load()
    expect(restarted.billing.token).toBeNull()
    expect(restarted.billing.known).toBe(true)
  })

  it('tabs hear each resource with a stamp of its own, the default state beside it', async () => {
    const { rooms, billing, main, told } = start()
    await Promise.all(rooms.all.map((r) => r.state.load()))
    await main.set(alice, 'set', true)
    await billing.set(aliceBilling, 'refresh', false)
    const last = told.at(-1)!
    expect(last.resources![RESOURCE]).toMatchObject({ hasToken: true, claims: { sub: 'alice', aud: RESOURCE } })
    expect(last.resources![RESOURCE]!.stamp).toBeGreaterThan(0)
    expect(last.claims).toMatchObject({ aud: API })
  })
})
