import { isSwBearerError, registerTokenServiceWorker, type GetAccessToken, type GetAccessTokenContext, type TokenSession } from '../../src/index.ts'
import { ActivityLog } from './ActivityLog.ts'
import { getProfile, isOk, listNotes, postNote, revokeSession, type Answer, type Note, type Profile } from './api.ts'
import { completeRedirect, getAccessToken, signIn, signOut } from './auth.ts'
import { followServerActivity, type Counters } from './serverActivity.ts'

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T
const log = new ActivityLog($<HTMLOListElement>('log'))
const activity = followServerActivity(log, showCounters)

let signingOut = false
let signedIn = false
let profile: Profile | null = null
let notes: Note[] = []
let toastTimer: ReturnType<typeof setTimeout> | undefined

/** The SDK's getter (the shipped adapter), wrapped only to tell the log when the worker asked. */
async function loggedGetAccessToken(context: GetAccessTokenContext): ReturnType<GetAccessToken> {
  const token = await getAccessToken(context)
  if (context.reason !== 'startup') {
    const how = context.forceRefresh ? 'oidc-client-ts skipped its stored token and used its refresh token at the provider' : 'oidc-client-ts gave its stored one'
    log.note('refresh', token ? `The worker asked this tab for a new token (${context.reason}): ${how}` : 'The worker asked for a token: oidc-client-ts has no user (signed out)')
  }
  return token ?? null
}

// Back from the provider? Finish that first, so the getter below finds the new user.
let redirectFailed: string | undefined
try {
  if ((await completeRedirect()) === 'signed-in') {
    log.note('sign-in', 'Back from the provider: oidc-client-ts exchanged the code and its PKCE verifier for tokens')
  }
} catch (error) {
  redirectFailed = `Back from the provider, but: ${describe(error)}`
  log.note('error', redirectFailed)
}

let session: TokenSession
try {
  session = await registerTokenServiceWorker({
    scriptURL: '/sw.js',
    getAccessToken: loggedGetAccessToken,
    // Where no worker can run (a private window that disables them, a plain-http host), the page adds the token itself.
    fallback: { apiOrigins: [new URL(__JOTTER_API__).origin] },
  })
} catch (error) {
  document.querySelector('[data-when="loading"] p')!.textContent = `sw-bearer could not start here: ${describe(error)}`
  throw error
}

if (session.mode === 'in-page') {
  const { workerError } = await session.inspect()
  log.note('app', `No service worker here (${workerError?.code ?? 'unknown'}): this tab adds the token to its own calls to ${__JOTTER_API__}`)
}
session.addEventListener('modechange', ({ detail: { mode } }) =>
  log.note('app', mode === 'service-worker' ? 'The service worker took over: it adds the token now' : 'The service worker is gone: this tab adds the token itself'),
)
if (session.claims) {
  log.note('handover', session.mode === 'in-page'
    ? `This tab holds its token and adds it to every call to ${__JOTTER_API__}`
    : `This tab handed its token to the worker, which adds it to every call to ${__JOTTER_API__}`)
} else {
  log.note('app', 'The service worker is ready; nobody is signed in yet')
}

session.addEventListener('tokenchange', ({ detail: { claims } }) => {
  if (claims) log.note('handover', `The worker now holds token ${short(claims.jti)}, valid until ${clock(claims.exp)}; every tab uses it`)
  queueMicrotask(update)
})
session.addEventListener('logout', () => {
  if (signingOut) log.note('logout', 'Signed out: the worker dropped the token for every tab')
  else {
    log.note('logout', 'Signed out elsewhere: the worker dropped the token, so this tab shows the sign-in page')
    toast('You were signed out in another tab.')
  }
})
session.addEventListener('error', ({ detail }) => log.note('error', describe(detail.error)))

update()
setInterval(renderClaims, 1000)
if (redirectFailed) toast(redirectFailed)

// ---- State

function update(): void {
  const now = session.claims !== null
  document.body.dataset.state = now ? 'signed-in' : 'signed-out'
  if (now && !signedIn) void loadAccount()
  if (!now) {
    profile = null
    notes = []
    renderNotes()
  }
  signedIn = now
  renderAccount()
  renderClaims()
}

async function loadAccount(): Promise<void> {
  await Promise.all([callMe(), loadNotes()])
}

async function callMe(): Promise<void> {
  const answer = await getProfile()
  report('fetch', 'GET /me', answer)
  if (isOk(answer)) profile = answer.body
  renderAccount()
  renderClaims()
}

async function loadNotes(): Promise<void> {
  const answer = await listNotes()
  report('XMLHttpRequest', 'GET /notes', answer)
  if (isOk(answer)) notes = answer.body.notes
  renderNotes()
}

/** What the app saw: one request, one answer, whatever the worker did in between. */
function report(how: string, route: string, answer: Answer<unknown>): void {
  const line = `${route} · ${answer.status} · ${answer.ms} ms`
  $('last-call').textContent = line
  const extra = isOk(answer) ? '' : `: ${errorOf(answer)}`
  log.note(isOk(answer) ? 'app' : 'error', `The app's ${how} ${route} resolved ${answer.status} in ${answer.ms} ms${extra}`)
  activity.poke()
}

// ---- Actions

$<HTMLFormElement>('signin-form').addEventListener('submit', (event) => {
  event.preventDefault()
  // To the provider's login page and back: this page loads again, signed in.
  void busy($('signin'), signIn)
})

$('call-api').addEventListener('click', () => void busy($('call-api'), callMe))

$<HTMLFormElement>('note-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const input = $<HTMLInputElement>('note-text')
  const text = input.value.trim()
  if (!text) return
  void busy($('post-note'), async () => {
    const answer = await postNote(text)
    report('fetch', 'POST /notes', answer)
    if (isOk(answer)) {
      notes = [answer.body.note, ...notes.filter((n) => n.id !== answer.body.note.id)]
      input.value = ''
      renderNotes()
    }
  })
})

$('revoke').addEventListener('click', () =>
  void busy($('revoke'), async () => {
    const answer = await revokeSession()
    report('fetch', 'POST /session/revoke', answer)
    if (isOk(answer)) toast('Tokens revoked. Call the API: the worker gets a 401, refreshes once and retries.')
  }),
)

$('open-tab').addEventListener('click', () => window.open(location.href, '_blank'))

$('signout').addEventListener('click', () =>
  void busy($('signout'), async () => {
    signingOut = true
    try {
      // Every tab drops the token now, then the SDK signs out and this tab goes to the provider and back.
      await session.logout()
      await signOut()
    } catch (error) {
      signingOut = false
      throw error
    }
  }),
)

async function busy(button: HTMLElement, action: () => Promise<void>): Promise<void> {
  if (button.hasAttribute('aria-busy')) return
  button.setAttribute('aria-busy', 'true')
  hideToast()
  try {
    await action()
  } catch (error) {
    log.note('error', describe(error))
    toast(describe(error))
  } finally {
    button.removeAttribute('aria-busy')
    activity.poke()
  }
}

// ---- Rendering

function renderAccount(): void {
  const name = profile?.name ?? (signedIn ? 'Signed in' : '')
  $('who').textContent = name
  $('profile-name').textContent = name
  const sub = session.claims?.sub ?? profile?.sub
  $('profile-sub').textContent = sub ? `sub ${sub}` : ''
  for (const avatar of [$('avatar'), $('avatar-large')]) {
    avatar.textContent = initials(name)
    avatar.style.setProperty('--hue', String(hue(profile?.sub ?? name)))
  }
}

function renderClaims(): void {
  const claims = session.claims
  const client = (claims?.client_id as string | undefined) ?? profile?.clientId ?? undefined
  const jti = claims?.jti ?? profile?.tokenId
  const iat = claims?.iat ?? profile?.tokenIssuedAt
  const exp = claims?.exp ?? profile?.tokenExpiresAt
  $('claim-client').textContent = client ?? '–'
  $('claim-jti').textContent = jti ? short(jti) : '–'
  $('claim-iss').textContent = claims?.iss ?? '–'
  $('claim-aud').textContent = [claims?.aud ?? []].flat().join(', ') || '–'
  const left = exp === undefined ? undefined : exp - Date.now() / 1000
  const lifetime = exp !== undefined && iat !== undefined ? exp - iat : undefined
  const soon = ' · the next call refreshes it first'
  $('claim-exp').textContent = left === undefined ? '–' : left <= 0 ? `expired${soon}` : `in ${Math.ceil(left)} s${left <= 30 ? soon : ''}`
  $('claim-meter').style.width = left !== undefined && lifetime ? `${Math.max(0, Math.min(100, (left / lifetime) * 100))}%` : '0'
  $('claim-meter').parentElement!.dataset.low = String(left !== undefined && left <= 30)
}

function renderNotes(): void {
  const list = $('notes')
  list.replaceChildren(
    ...notes.map((note) => {
      const item = document.createElement('li')
      const text = document.createElement('p')
      text.textContent = note.text
      const when = document.createElement('time')
      when.dateTime = new Date(note.createdAt).toISOString()
      when.textContent = new Date(note.createdAt).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
      item.append(text, when)
      return item
    }),
  )
  $('notes-count').textContent = notes.length ? `${notes.length} note${notes.length === 1 ? '' : 's'}` : ''
}

function showCounters(counters: Counters): void {
  $('count-provider').textContent = String(counters.providerCalls)
  $('count-requests').textContent = String(counters.apiRequests)
  $('count-401').textContent = String(counters.unauthorized)
  $('count-retries').textContent = String(counters.retries)
}

function toast(text: string): void {
  const element = $('toast')
  element.textContent = text
  element.dataset.show = 'true'
  clearTimeout(toastTimer)
  toastTimer = setTimeout(hideToast, 6000)
}

function hideToast(): void {
  $('toast').dataset.show = 'false'
}

// ---- Small helpers

function short(jti: unknown): string {
  return `#${String(jti).slice(0, 6)}`
}

function clock(seconds: number | undefined): string {
  return seconds === undefined ? 'whenever' : new Date(seconds * 1000).toLocaleTimeString('en-GB')
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]!.toUpperCase())
    .join('')
}

function hue(seed: string): number {
  const hues = [245, 265, 200, 170, 330, 20, 290]
  let h = 0
  for (const char of seed) h = (h * 31 + char.charCodeAt(0)) % 9973
  return hues[h % hues.length]!
}

function errorOf(answer: Answer<unknown>): string {
  const body = answer.body as { error?: string; error_description?: string } | null
  return body?.error_description ?? body?.error ?? 'no body'
}

function describe(error: unknown): string {
  if (isSwBearerError(error)) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}
