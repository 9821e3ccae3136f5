import { describe, expect, it } from 'vitest'
import { engines } from './harness/engines/index.js'
import { itNeeds } from './harness/gaps.js'
import { useLab } from './harness/useLab.js'

// The driver layer itself: what every ported test relies on, and each engine's gaps said out loud.
describe.each(engines)('%s driver', (engine) => {
  const lab = useLab({ engine })

  it('opens tabs that share one worker in a context, and none across contexts', async () => {
    const [a, b] = await lab.signedInTabs(2)
    expect(await lab.authorizationSeen(b!, 'b')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
    const isolated = await lab.tab(await lab.context())
    expect(await isolated.evaluate(() => !!navigator.serviceWorker.controller)).toBe(false)
    expect(await lab.authorizationSeen(isolated, 'isolated')).toBeNull()
    await a!.reload()
    await a!.waitForFunction(() => 'register' in window)
    expect(await a!.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true)
  })

  itNeeds(lab, engine, 'stopWorkersInPlace', 'stops the worker with its page open, and the token comes back from IndexedDB', async () => {
    const page = await lab.signedInTab(await lab.context())
    await lab.stopWorkers(page)
    expect(await lab.authorizationSeen(page, 'after-stop')).toBe(`Bearer ${lab.issuer.issued.at(-1)}`)
    expect(lab.issuer.issued).toHaveLength(1)
  })
})
