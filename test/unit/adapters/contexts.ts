import type { GetAccessTokenContext } from '../../../src/index.js'

/** A call where a cached token the SDK considers valid will do (a page load, a good token held). */
export const unforced: GetAccessTokenContext = { reason: 'startup', forceRefresh: false }

/** A call after the API refused the token sw-bearer holds: the SDK's cached token will not do. */
export const forced: GetAccessTokenContext = { reason: 'unauthorized', forceRefresh: true }
