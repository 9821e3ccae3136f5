import type { Tab } from '../engines/index.js'

/** The API's answer to the app's plain fetch: status, and the token's jti or why it was refused. */
export interface Call {
  status: number
  jti: string | null
  /** The token's exp (seconds), when the API accepted it. */
  exp: number | null
  reason: string | null
  /** The accepted token's sub and aud, as the API read them. */
  sub: string | null
  aud: string | string[] | null
}

export interface TabState {
  /** sw-bearer's session: does the worker hold a token? */
  hasToken: boolean | null
  /** Does the SDK itself think someone is signed in? */
  sdkSignedIn: boolean
}

export interface GetterCall {
  reason: string | undefined
  forceRefresh: boolean | undefined
  /** The resource the token was asked for; undefined: the default token. */
  resource?: string | undefined
  result?: string
}

export const call = (page: Tab): Promise<Call> => page.evaluate(() => (window as any).app.call())
/**
 * Starts the app's call and returns at once; `collectCall` awaits its answer. Tabs that must fetch
 * at the same moment all start before any is awaited: WebDriver classic runs one command at a time.
 */
export const startCall = (page: Tab): Promise<void> => page.evaluate(() => void ((window as any).pendingCall = (window as any).app.call()))
export const collectCall = (page: Tab): Promise<Call> => page.evaluate(() => (window as any).pendingCall)
export const state = (page: Tab): Promise<TabState> => page.evaluate(() => (window as any).app.state())
export const getterCalls = (page: Tab): Promise<GetterCall[]> => page.evaluate(() => (window as any).app.getterCalls)
export const events = (page: Tab, type: string): Promise<unknown[]> =>
  page.evaluate((t) => (window as any).app.events.filter((e: any) => e.type === t), type)
/** The app's sign-out: sw-bearer's logout (every tab), then the SDK's own local one. */
export const signOut = (page: Tab): Promise<void> => page.evaluate(() => (window as any).app.signOut())

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
