/// <reference lib="webworker" />

/**
 * Keeps the fetch event, and so this worker, alive until `response`'s body has arrived.
 *
 * A new version that takes over (skipWaiting) ends the old one once its fetch events are
 * over, and an event is over when respondWith settles, headers only. WebKit and Firefox
 * then cut the body still on its way to the page ("TypeError: Load failed", "AbortError":
 * a body sent in two parts 2 s apart was cut in both, every time; Chromium streams it on).
 * An API answer is lost that way whenever a deploy lands while it arrives, the retry after
 * a refresh above all, since activation waits for that one's headers.
 *
 * A copy of the body is read alongside the page's, up to MAX_BYTES and for at most MAX_MS:
 * a large download goes on without this rather than be held in memory ahead of a slow
 * reader, and a stream that stays open (server-sent events over fetch) does not keep the
 * worker alive for good (browsers bound how long an event may be extended, then end the worker).
 */
export function keepAliveForBody(event: ExtendableEvent, response: Response): void {
  if (!response.body || response.bodyUsed) return
  const reader = response.clone().body!.getReader()
  let bytes = 0
  const drain = async (): Promise<void> => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || (bytes += value.byteLength) > MAX_BYTES) return
    }
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, MAX_MS)))
  const kept = Promise.race([drain(), late])
    .catch(() => {})
    .then(() => {
      clearTimeout(timer)
      reader.cancel().catch(() => {})
    })
  try {
    event.waitUntil(kept)
  } catch {
    // The event is over already (a strategy that answered without waiting): nothing to keep.
    reader.cancel().catch(() => {})
  }
}

/** How much of a body is waited for: API answers are well under it. */
const MAX_BYTES = 1 << 20

/** How long a body is waited for: an API answer takes far less. */
const MAX_MS = 60_000
