import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM, OFFLINE_FLAGS } from '../../../tools/chromium.js'

/**
 * Debian's Chromium, headless, kept off the network. `*.test` hosts resolve to
 * loopback so lookalike host names can be tested. globalSetup has checked it is there.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...OFFLINE_FLAGS, '--host-resolver-rules=MAP *.test 127.0.0.1'],
  })
}
