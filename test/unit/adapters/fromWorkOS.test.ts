import { describe, expect, it, vi } from 'vitest'
import { fromWorkOS } from '../../../adapters/index.js'
import { forced, unforced } from './contexts.js'

// As authkit-js declares them: LoginRequiredError keeps Error's `name`, RefreshTimeoutError sets its own.
class LoginRequiredError extends Error {
  override readonly message: string = 'No access token available'
}
class RefreshTimeoutError extends Error {
  override readonly name = 'RefreshTimeoutError'
}

/** Behaves like authkit-js getAccessToken: the in-memory token unless forceRefresh. */
function fakeAuthKit() {
  let cached = 'cached'
  let issued = 0
  const client = {
    failure: undefined as unknown,
    getAccessToken: vi.fn(async (options?: { forceRefresh?: boolean }): Promise<string | undefined> => {
      if (client.failure) throw client.failure
      if (options?.forceRefresh) cached = `fresh-${++issued}`
      return cached
    }),
  }
  return client
}

describe('fromWorkOS', () => {
  it('takes the in-memory token when not forced', async () => {
    const client = fakeAuthKit()
    expect(await fromWorkOS(client)(unforced)).toBe('cached')
    expect(client.getAccessToken).toHaveBeenCalledWith({ forceRefresh: false })
  })

  it('passes forceRefresh on, so a refused token is replaced', async () => {
    const client = fakeAuthKit()
    expect(await fromWorkOS(client)(forced)).toBe('fresh-1')
  })

  it("reads LoginRequiredError as signed out, though authkit-js leaves its name 'Error'", async () => {
    const client = fakeAuthKit()
    client.failure = new LoginRequiredError()
    expect(client.failure).toHaveProperty('name', 'Error')
    expect(await fromWorkOS(client)(forced)).toBeNull()
  })

  it('reads an error named LoginRequiredError as signed out', async () => {
    const client = fakeAuthKit()
    client.failure = Object.assign(new Error('login required'), { name: 'LoginRequiredError' })
    expect(await fromWorkOS(client)(forced)).toBeNull()
  })

  it.each([
    ['RefreshTimeoutError', new RefreshTimeoutError('Timed out waiting to refresh the session.')],
    ['a network failure', new TypeError('Failed to fetch')],
  ])('rethrows %s', async (_, failure) => {
    const client = fakeAuthKit()
    client.failure = failure
    await expect(fromWorkOS(client)(forced)).rejects.toBe(failure)
  })

  it('reads undefined (releases before 0.3) as signed out', async () => {
    const client = fakeAuthKit()
    client.getAccessToken.mockResolvedValueOnce(undefined)
    expect(await fromWorkOS(client)(unforced)).toBeNull()
  })
})
