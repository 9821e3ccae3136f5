import { openDB, type DBSchema, type IDBPDatabase } from 'idb'

export interface StoredToken {
  token: string
  /** SessionState.stamp of the write, so stamps stay monotonic across worker restarts. */
  stamp: number
  /** TokenState.clockOffset when written (absent before it existed). */
  clockOffset?: number
}

interface TokenDB extends DBSchema {
  session: { key: 'current'; value: StoredToken }
  meta: { key: 'stamp'; value: number }
}

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

export async function readToken(): Promise<{ token: StoredToken | undefined; stamp: number }> {
  const tx = (await open()).transaction(['session', 'meta'])
  const [token, stamp] = await Promise.all([tx.objectStore('session').get('current'), tx.objectStore('meta').get('stamp')])
  return { token, stamp: stamp ?? 0 }
}

/** Writes the token (or its absence) and the stamp in one transaction. */
export async function writeToken(token: string | null, stamp: number, clockOffset = 0): Promise<void> {
  const tx = (await open()).transaction(['session', 'meta'], 'readwrite')
  const session = tx.objectStore('session')
  await Promise.all([
    token === null ? session.delete('current') : session.put({ token, stamp, clockOffset }, 'current'),
    tx.objectStore('meta').put(stamp, 'stamp'),
    tx.done,
  ])
}
