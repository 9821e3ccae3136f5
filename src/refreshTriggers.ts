/**
 * Moments when a token may have gone stale while nobody was looking: the tab
 * comes back into view, the network returns, or the page is restored from the
 * back/forward cache. Events, not timers: background tabs throttle timers.
 */
export function onRefreshMoments(check: () => void): () => void {
  const onVisible = () => document.visibilityState === 'visible' && check()
  const onPageShow = (event: PageTransitionEvent) => event.persisted && check()
  document.addEventListener('visibilitychange', onVisible)
  window.addEventListener('online', check)
  window.addEventListener('pageshow', onPageShow)
  return () => {
    document.removeEventListener('visibilitychange', onVisible)
    window.removeEventListener('online', check)
    window.removeEventListener('pageshow', onPageShow)
  }
}
