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

export type EntrySource = 'this tab' | 'issuer' | 'api'

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

const SOURCES: Record<EntrySource, string> = { 'this tab': 'This tab', issuer: 'Issuer', api: 'API' }
const KEEP = 150

/** The live log, newest first; entries from the servers and this tab interleave by time. */
export class ActivityLog {
  #list: HTMLOListElement
  #entries: Array<Entry & { element: HTMLLIElement }> = []

  constructor(list: HTMLOListElement) {
    this.#list = list
  }

  add(entry: Entry): void {
    const element = render(entry)
    // Usually the newest: walk from the front to the first older entry.
    const index = this.#entries.findIndex((e) => e.at <= entry.at)
    const before = index === -1 ? null : this.#entries[index]!.element
    this.#list.insertBefore(element, before)
    this.#entries.splice(index === -1 ? this.#entries.length : index, 0, { ...entry, element })
    for (const old of this.#entries.splice(KEEP)) old.element.remove()
    this.#list.dataset.empty = 'false'
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
