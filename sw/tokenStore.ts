import { openDB, type DBSchema, type IDBPDatabase } from 'idb'

export interface StoredToken {
  token: string
  /** SessionState.stamp of the write, so stamps stay monotonic across worker restarts. */
  stamp: number
  /** TokenState.clockOffset when written (absent before it existed). */
  clockOffset?: number
  /**
   * The sign-in this token belongs to (see TokenState.session): a resource's token is kept only
   * while the default token's is the same. Absent in what versions before resources wrote.
   */
  session?: string
  /** The key pair a DPoP-bound token is bound to (RFC 9449): stored as CryptoKeys, never exported. */
  key?: CryptoKeyPair
}

interface TokenDB extends DBSchema {
  /** `current` for the default token, `resource <uri>` for a resource's (see recordKey). */
  session: { key: string; value: StoredToken }
  /** `stamp` for the default token, `stamp <uri>` for a resource's. */
  meta: { key: string; value: number }
}

/** Where one token lives: the default one under the names every earlier version used. */
export interface RecordKey {
  token: string
  stamp: string
}

export const recordKey = (resource: string | undefined): RecordKey =>
  resource === undefined ? { token: 'current', stamp: 'stamp' } : { token: `resource ${resource}`, stamp: `stamp ${resource}` }

const DEFAULT_KEY = recordKey(undefined)

declare const registration: { scope: string } | undefined

/** One database per worker scope: two apps on one origin must not share a token. */
export const dbName = () => `sw-bearer ${typeof registration === 'object' ? registration.scope : ''}`
// Bump with an upgrade step, never by dropping stores: a deploy must not sign users out.
const DB_VERSION = 1

let db: Promise<IDBPDatabase<TokenDB>> | undefined

function open(): Promise<IDBPDatabase<TokenDB>> {
  db ??= openDB<TokenDB>(dbName(), DB_VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore('session')
        database.createObjectStore('meta')
      }
    },
    // Another version of the worker wants to upgrade: step aside rather than block it.
    blocking() {
      void db?.then((d) => d.close())
      db = undefined
    },
    // The browser closed it (site data cleared, say): open afresh next time.
    terminated() {
      db = undefined
    },
  }).catch((error: unknown) => {
    // A failed open is not cached: the next read or write tries again.
    db = undefined
    throw error
  })
  return db
}

export async function readToken(key: RecordKey = DEFAULT_KEY): Promise<{ token: StoredToken | undefined; stamp: number }> {
  const tx = (await open()).transaction(['session', 'meta'])
  const [token, stamp] = await Promise.all([tx.objectStore('session').get(key.token), tx.objectStore('meta').get(key.stamp)])
  return { token, stamp: stamp ?? 0 }
}

/** Writes the token (or its absence) and the stamp in one transaction. */
export async function writeToken(
  token: string | null,
  stamp: number,
  clockOffset = 0,
  key: RecordKey = DEFAULT_KEY,
  sessionId?: string,
  dpopKey?: CryptoKeyPair,
): Promise<void> {
  const tx = (await open()).transaction(['session', 'meta'], 'readwrite')
  const session = tx.objectStore('session')
  const record: StoredToken = { token: token!, stamp, clockOffset, ...(sessionId !== undefined && { session: sessionId }), ...(dpopKey && { key: dpopKey }) }
  await Promise.all([
    token === null ? session.delete(key.token) : session.put(record, key.token),
    tx.objectStore('meta').put(stamp, key.stamp),
    tx.done,
  ])
}

/**
 * Names the sign-in of a record written before sign-ins had names, unless something newer was
 * written since (another version of the worker): one transaction reads and writes.
 */
export async function nameSession(key: RecordKey, stamp: number, session: string): Promise<void> {
  const tx = (await open()).transaction(['session', 'meta'], 'readwrite')
  const [record, current] = await Promise.all([tx.objectStore('session').get(key.token), tx.objectStore('meta').get(key.stamp)])
  if (record && current === stamp && record.session === undefined) await tx.objectStore('session').put({ ...record, session }, key.token)
  await tx.done
}

/** Deletes every resource's token, listed by this version or not: a logout leaves none at rest. */
export async function deleteResourceTokens(): Promise<void> {
  const tx = (await open()).transaction('session', 'readwrite')
  // Resource keys are `resource <uri>`, and a uri has no spaces or controls (see parseApiOrigin).
  await Promise.all([tx.store.delete(IDBKeyRange.bound('resource ', 'resource \uffff')), tx.done])
}
