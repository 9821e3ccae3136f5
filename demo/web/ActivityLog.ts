export type EntryKind =
  | 'sign-in'
  | 'provider'
  | 'handover'
  | 'injected'
  | 'unauthorized'
  | 'refresh'
  | 'retry'
  | 'revoke'
  | 'logout'
  | 'app'
  | 'error'

export type EntrySource = 'this tab' | 'provider' | 'api'

export interface Entry {
  at: number
  kind: EntryKind
  source: EntrySource
  text: string
}

const TAGS: Record<EntryKind, string> = {
  'sign-in': 'sign in',
  provider: 'provider',
  handover: 'handed over',
  injected: 'injected',
  unauthorized: '401',
  refresh: 'refresh',
  retry: 'retry',
  revoke: 'revoke',
  logout: 'logout',
  app: 'app',
  error: 'error',
}

const SOURCES: Record<EntrySource, string> = { 'this tab': 'This tab', provider: 'Provider', api: 'API' }
const KEEP = 150

/**
 * The live log, oldest first like a console, kept scrolled to the newest line
 * unless the reader has scrolled up. Entries from the servers and from this tab
 * interleave by time.
 */
export class ActivityLog {
  #list: HTMLOListElement
  #entries: Array<Entry & { element: HTMLLIElement }> = []

  constructor(list: HTMLOListElement) {
    this.#list = list
  }

  add(entry: Entry): void {
    const list = this.#list
    const following = list.scrollHeight - list.scrollTop - list.clientHeight < 48
    const element = render(entry)
    // Usually the newest: look from the end for the first entry not later than this one.
    let index = this.#entries.length
    while (index > 0 && this.#entries[index - 1]!.at > entry.at) index--
    list.insertBefore(element, this.#entries[index]?.element ?? null)
    this.#entries.splice(index, 0, { ...entry, element })
    for (const old of this.#entries.splice(0, Math.max(0, this.#entries.length - KEEP))) old.element.remove()
    list.dataset.empty = 'false'
    if (following) list.scrollTop = list.scrollHeight
  }

  note(kind: EntryKind, text: string): void {
    this.add({ at: Date.now(), kind, source: 'this tab', text })
  }
}

function render({ at, kind, source, text }: Entry): HTMLLIElement {
  const item = document.createElement('li')
  item.className = 'entry'
  item.dataset.kind = kind
  const tag = document.createElement('span')
  tag.className = 'tag'
  tag.textContent = TAGS[kind]
  const body = document.createElement('div')
  const message = document.createElement('p')
  message.textContent = text
  const meta = document.createElement('small')
  const time = new Date(at)
  meta.textContent = `${SOURCES[source]} · ${time.toLocaleTimeString('en-GB')}.${String(time.getMilliseconds()).padStart(3, '0')}`
  body.append(message, meta)
  item.append(tag, body)
  return item
}
