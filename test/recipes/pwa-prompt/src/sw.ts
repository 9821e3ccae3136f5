/// <reference lib="webworker" />
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching'
import { installTokenInjection } from 'sw-bearer/sw'

declare const self: ServiceWorkerGlobalScope

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()
// The new version waits for the user's "Reload" (registerSW's updateSW sends SKIP_WAITING).
installTokenInjection({ apiOrigins: ['https://api.example.com'], skipWaiting: false })
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting()
})
