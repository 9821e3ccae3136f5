import { assertChromium } from '../../../tools/chromium.js'
import { bundleLibrary } from './bundle.js'

export default async function setup(): Promise<void> {
  // One clear line rather than a failure per test file.
  assertChromium()
  await bundleLibrary()
}
