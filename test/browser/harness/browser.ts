import { chromium, type Browser } from 'playwright-core'
import { CHROMIUM, OFFLINE_FLAGS } from '../../../tools/chromium.js'

/**
 * Debian's Chromium, headless, kept off the network. `*.test` hosts resolve to
 * loopback so lookalike host names can be tested. globalSetup has checked it is there.
 */
export async function launchChromium({ bfcache = false } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...OFFLINE_FLAGS, '--host-resolver-rules=MAP *.test 127.0.0.1'],
    // playwright-core turns the back/forward cache off unless told: tests of it need the real one.
    ...(bfcache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
  })
}
