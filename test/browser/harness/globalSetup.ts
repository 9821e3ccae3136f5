import { bundleLibrary } from './bundle.js'
import { assertInstalled, engines } from './engines/index.js'

export default async function setup(): Promise<void> {
  // One clear line rather than a failure per test file. Files not yet ported run in Chromium.
  for (const engine of new Set(['chromium', ...engines] as const)) assertInstalled(engine)
  await bundleLibrary()
}
