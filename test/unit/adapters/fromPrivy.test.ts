import { describe, expect, it, vi } from 'vitest'
import { fromPrivy } from '../../../adapters/index.js'
import { forced, unforced } from './contexts.js'

describe('fromPrivy', () => {
  it("hands over Privy's token and its null for signed out", async () => {
    const getAccessToken = vi.fn<() => Promise<string | null>>().mockResolvedValueOnce('privy-token').mockResolvedValueOnce(null)
    const getter = fromPrivy(getAccessToken)
    expect(await getter(unforced)).toBe('privy-token')
    expect(await getter(forced)).toBeNull()
  })

  it("calls Privy's getter without sw-bearer's context, which Privy could mistake for options", async () => {
    const getAccessToken = vi.fn(async (..._args: unknown[]) => 'privy-token')
    await fromPrivy(getAccessToken)(forced)
    expect(getAccessToken).toHaveBeenCalledWith()
  })

  it('rethrows a failing Privy refresh', async () => {
    const failure = new Error('refresh failed')
    await expect(fromPrivy(() => Promise.reject(failure))(forced)).rejects.toBe(failure)
  })
})
