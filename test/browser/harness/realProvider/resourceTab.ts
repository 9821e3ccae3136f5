import type { Tab } from '../engines/index.js'
import type { Call } from './tab.js'

/** What a tab's session says of one token: the default one, or a resource's. */
export interface TokenView {
  hasToken: boolean
  aud: string | string[] | null
  sub: string | null
  jti: string | null
}

/** The app's plain fetch to the second API (RESOURCE_B's origin). */
export const callB = (tab: Tab): Promise<Call> => tab.evaluate(() => (window as any).app.callB())

/** `session.resource(resource)`, or the default token's `claims`/`hasToken` without one. */
export const tokenView = (tab: Tab, resource?: string): Promise<TokenView> =>
  // null, not undefined, crosses every driver's JSON.
  tab.evaluate((r) => (window as any).app.tokenView(r ?? undefined), resource ?? null)

/** `session.refresh({ resource })` in the tab; true if a token came back. */
export const refreshIn = (tab: Tab, resource?: string): Promise<boolean> => tab.evaluate((r) => (window as any).app.refresh(r ?? undefined), resource ?? null)

/**
 * Starts the tab's calls to both APIs together and returns at once; `collectBoth` awaits them.
 * Every tab of a storm starts before any is awaited: WebDriver classic runs one command at a time.
 */
export const startBoth = (tab: Tab): Promise<void> =>
  tab.evaluate(() => void ((window as any).pendingBoth = Promise.all([(window as any).app.call(), (window as any).app.callB()])))
export const collectBoth = (tab: Tab): Promise<[Call, Call]> => tab.evaluate(() => (window as any).pendingBoth)
