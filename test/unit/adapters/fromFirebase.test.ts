import { describe, expect, it, vi } from 'vitest'
import { fromFirebase } from '../../../adapters/index.js'
import { forced, unforced } from './contexts.js'

/** A FirebaseError as the SDK throws it: `code` is what identifies it. */
const firebaseError = (code: string) => Object.assign(new Error(`Firebase: Error (${code}).`), { name: 'FirebaseError', code })

/**
 * Behaves like a Firebase Auth: currentUser is null until persistence is restored (then
 * authStateReady resolves), getIdToken serves the cached ID token unless forced, and on
 * auth/user-token-expired or auth/user-disabled Firebase signs the user out before rethrowing.
 */
function fakeAuth({ persistedUser = true, hasAuthStateReady = true } = {}) {
  let current: typeof user | null = null
  let cached = 'cached'
  let issued = 0
  const user = {
    failure: undefined as (Error & { code?: string }) | undefined,
    getIdToken: vi.fn(async (forceRefresh?: boolean) => {
      const failure = user.failure
      if (failure) {
        if (failure.code === 'auth/user-token-expired' || failure.code === 'auth/user-disabled') current = null
        throw failure
      }
      if (forceRefresh) cached = `fresh-${++issued}`
      return cached
    }),
  }
  const restored = new Promise<void>((resolve) =>
    setTimeout(() => {
      if (persistedUser) current = user
      resolve()
    }, 5),
  )
  const auth = {
    get currentUser() {
      return current
    },
    ...(hasAuthStateReady ? { authStateReady: () => restored } : {}),
  }
  return { auth, user, restored }
}

describe('fromFirebase', () => {
  it('waits for authStateReady, so a signed-in user being restored is not read as signed out', async () => {
    const { auth } = fakeAuth()
    expect(auth.currentUser).toBeNull()
    expect(await fromFirebase(auth)(unforced)).toBe('cached')
  })

  it('asks for the cached ID token when not forced and a new one when forced', async () => {
    const { auth, user } = fakeAuth()
    expect(await fromFirebase(auth)(unforced)).toBe('cached')
    expect(await fromFirebase(auth)(forced)).toBe('fresh-1')
    expect(user.getIdToken.mock.calls).toEqual([[false], [true]])
  })

  it('reads no current user as signed out, without asking for a token', async () => {
    const { auth, user } = fakeAuth({ persistedUser: false })
    expect(await fromFirebase(auth)(forced)).toBeNull()
    expect(user.getIdToken).not.toHaveBeenCalled()
  })

  it('reads currentUser directly on SDKs without authStateReady', async () => {
    const { auth, restored } = fakeAuth({ hasAuthStateReady: false })
    expect(await fromFirebase(auth)(unforced)).toBeNull()
    await restored
    expect(await fromFirebase(auth)(unforced)).toBe('cached')
  })

  it.each(['auth/user-token-expired', 'auth/user-disabled'])(
    'reads %s, after which Firebase has signed the user out, as signed out',
    async (code) => {
      const { auth, user } = fakeAuth()
      user.failure = firebaseError(code)
      expect(await fromFirebase(auth)(forced)).toBeNull()
    },
  )

  it('rethrows a failure that leaves the user signed in', async () => {
    const { auth, user } = fakeAuth()
    const failure = firebaseError('auth/network-request-failed')
    user.failure = failure
    await expect(fromFirebase(auth)(forced)).rejects.toBe(failure)
  })
})
