import { isSwBearerError, registerTokenServiceWorker, type TokenSession } from '../../src/index.ts'
import { ActivityLog } from './ActivityLog.ts'
import { getProfile, isOk, listNotes, postNote, revokeSession, type Answer, type Note, type Profile } from './api.ts'
import { getAccessToken, signIn, signOut } from './auth.ts'
import { followServerActivity, type Counters } from './serverActivity.ts'

const OPAQUE = __JOTTER_TOKEN_FORMAT__ === 'opaque'

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T
const log = new ActivityLog($<HTMLOListElement>('log'))
const activity = followServerActivity(log, showCounters)

// Why this tab is running getAccessToken right now; null means the worker asked.
let providerReason: 'register' | 'sign-in' | null = 'register'
let registeredSignedIn = false
let signingOut = false
let signedIn = false
let profile: Profile | null = null
let notes: Note[] = []

/** The auth SDK's getter, wrapped only to tell the log who asked for it. */
async function loggedGetAccessToken(): Promise<string | null> {
  const reason = providerReason
  const token = await getAccessToken()
  if (reason === 'register') registeredSignedIn = token !== null
  if (reason === null) {
    log.note('refresh', token ? 'The worker asked this tab for a new token: getAccessToken() gave one' : 'The worker asked for a token: getAccessToken() said null (signed out)')
  }
  return token
}

let session: TokenSession
try {
  session = await registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken: loggedGetAccessToken })
} catch (error) {
  document.querySelector('[data-when="loading"] p')!.textContent = `sw-bearer could not start here: ${describe(error)}`
  throw error
} finally {
  providerReason = null
}

if (session.claims || registeredSignedIn) {
  log.note('handover', `This tab handed its token to the worker, which adds it to every call to ${__JOTTER_API__}`)
} else {
  log.note('app', 'The service worker is ready; nobody is signed in yet')
}
let opaqueHasToken: boolean = OPAQUE && registeredSignedIn

session.addEventListener('tokenchange', ({ detail: { claims } }) => {
  if (claims) log.note('handover', `The worker now holds token ${short(claims.jti)}, valid until ${clock(claims.exp)}; every tab uses it`)
  else if (OPAQUE) {
    opaqueHasToken = true // a logout event follows at once when it is a logout
    log.note('handover', 'The worker now holds a new opaque token; every tab uses it')
  }
  queueMicrotask(update)
})
session.addEventListener('logout', () => {
  opaqueHasToken = false
  if (signingOut) log.note('logout', 'Signed out: the worker dropped the token for every tab')
  else {
    log.note('logout', 'Signed out elsewhere: the worker dropped the token, so this tab shows the sign-in form')
    toast('You were signed out in another tab.')
  }
})
session.addEventListener('error', ({ detail }) => log.note('error', describe(detail.error)))

update()
setInterval(renderClaims, 1000)

// ---- State

function update(): void {
  const now = OPAQUE ? opaqueHasToken : session.claims !== null
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
  const name = $<HTMLInputElement>('name').value.trim()
  if (!name) return
  void busy($('signin'), async () => {
    await signIn(name)
    providerReason = 'sign-in'
    try {
      // Runs getAccessToken through the worker's single flight and hands the token over.
      await session.refresh()
    } finally {
      providerReason = null
    }
  })
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
      await signOut()
      await session.logout()
    } finally {
      signingOut = false
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
  $('profile-sub').textContent = (session.claims?.sub as string | undefined) ?? profile?.sub ?? ''
  for (const avatar of [$('avatar'), $('avatar-large')]) {
    avatar.textContent = initials(name)
    avatar.style.setProperty('--hue', String(hue(profile?.sub ?? name)))
  }
}

function renderClaims(): void {
  // An opaque token has no claims to decode: show what the API said about it instead.
  const claims = session.claims
  const sid = (claims?.sid as string | undefined) ?? profile?.sid
  const jti = claims?.jti ?? profile?.tokenId
  const iat = claims?.iat ?? profile?.tokenIssuedAt
  const exp = claims?.exp ?? profile?.tokenExpiresAt
  $('claims-caption').innerHTML = OPAQUE
    ? 'An opaque token: <code>session.claims</code> is null, so these come from the last <code>GET /me</code>'
    : 'Access token claims, from <code>session.claims</code>'
  $('claim-sid').textContent = sid ?? '–'
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

let toastTimer: ReturnType<typeof setTimeout> | undefined
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
