
/** A fresh browser context with `tabs` tabs, each set up as `variant`. */
export async function openVariant(env, variant, tabs = 1) {
  const context = await env.browser.newContext()
  const pages = []
  // One after another: the first tab's registration installs the worker the others join.
  for (let i = 0; i < tabs; i++) {
    const page = await context.openTab(`${env.pageOrigin}/`)
    const setup = await page.call('setup', variant, env.apiURL, env.resourceApiURL)
    if (setup.visibility !== 'visible') throw new Error(`${variant}: the tab is ${setup.visibility}, its timers would be throttled`)
    if (variant !== 'floor' && variant !== 'wrapper' && !setup.controlled) {
      throw new Error(`${variant}: the page is not controlled by its service worker`)
    }
    pages.push(page)
  }
  return { variant, context, page: pages[0], pages }
}

export const log = (message) => process.stderr.write(`${message}\n`)
