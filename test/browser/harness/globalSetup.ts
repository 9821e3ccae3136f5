import { existsSync } from 'node:fs'
import { CHROMIUM } from './browser.js'
import { bundleLibrary } from './bundle.js'

export default async function setup(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    // One clear line rather than a failure per test file.
    throw new Error(`Browser tests need Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`)
  }
  await bundleLibrary()
}
