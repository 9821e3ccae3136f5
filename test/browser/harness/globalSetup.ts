import { bundleLibrary } from './bundle.js'
import { assertInstalled, engines } from './engines/index.js'

export default async function setup(): Promise<void> {
  // One clear line rather than a failure per test file.
  for (const engine of engines) assertInstalled(engine)
  await bundleLibrary()
}
