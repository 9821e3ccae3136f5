/// <reference lib="webworker" />

/**
 * Keeps the fetch event, and so this worker, alive until `response`'s body has arrived.
 *
 * A new version that takes over (skipWaiting) ends the old one once its fetch events are
 * over, and an event is over when respondWith settles, headers only. WebKit and Firefox
 * then cut the body still on its way to the page ("TypeError: Load failed", "AbortError";
 * a body sent in two parts 2 s apart was cut in both, each of 2 times; Chromium streams it on). An API answer is lost that way whenever a deploy lands while it
 * arrives, the retry after a refresh above all, since activation waits for that one's headers.
 *
 * A copy of the body is read alongside the page's, up to MAX_BYTES: a large download goes
 * on without this, rather than being held in memory ahead of a slow reader.
 */
export function keepAliveForBody(event: ExtendableEvent, response: Response): void {
  if (!response.body || response.bodyUsed) return
  const reader = response.clone().body!.getReader()
  let bytes = 0
  const drain = async (): Promise<void> => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      if ((bytes += value.byteLength) > MAX_BYTES) return void reader.cancel()
    }
  }
  try {
    event.waitUntil(drain().catch(() => {}))
  } catch {
    void reader.cancel() // the event is over already (a strategy that answered without waiting)
  }
}

/** How much of a body is waited for: API answers are well under it. */
const MAX_BYTES = 1 << 20
