import type { Furnish } from '../../sw/resources/Rooms.js'

/** Two APIs: the default token's, and billing's, whose token is for its own resource (RFC 8707). */
export const API = 'https://api.example.com'
export const BILLING = 'https://billing.example.com'
export const RESOURCE = 'https://billing.example.com/'

/** An unsigned JWT-shaped token with these claims: the worker only ever decodes them. */
export const jwt = (payload: object) => `eyJhbGciOiJFUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`
export const alice = jwt({ sub: 'alice', aud: API })
export const aliceBilling = jwt({ sub: 'alice', aud: RESOURCE })
export const bob = jwt({ sub: 'bob', aud: API })

/** Rooms without flights or a fetch path: for tests of the states and their tie alone. */
export const statesOnly: Furnish = () => ({ refresher: {} as never, expiry: {} as never, send: {} as never })
