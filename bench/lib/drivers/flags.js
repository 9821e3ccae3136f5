import { OFFLINE_FLAGS } from '../../../tools/chromium.js'

export { assertChromium, CHROMIUM } from '../../../tools/chromium.js'

export const FLAGS = [
  ...OFFLINE_FLAGS,
  // Every tab is a foreground tab: timers, process priority and occlusion never
  // depend on which tab the bench happened to open last (Playwright sets these too).
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
]
