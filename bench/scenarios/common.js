import { call, openTab } from '../lib/browser.js'

/** A fresh browser context with `tabs` tabs, each set up as `variant`. */
export async function openVariant(env, variant, tabs = 1) {
  const context = await env.browser.newContext()
  const pages = []
  // One after another: the first tab's registration installs the worker the others join.
  for (let i = 0; i < tabs; i++) {
    const page = await openTab(context, `${env.pageOrigin}/`)
    const setup = await call(page, 'setup', variant, env.apiURL)
    if (variant !== 'floor' && variant !== 'wrapper' && !setup.controlled) {
      throw new Error(`${variant}: the page is not controlled by its service worker`)
    }
    pages.push(page)
  }
  return { variant, context, page: pages[0], pages }
}

export const log = (message) => process.stderr.write(`${message}\n`)
