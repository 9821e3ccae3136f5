/// <reference lib="webworker" />
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching'
import { installTokenInjection } from 'sw-bearer/sw'

declare const self: ServiceWorkerGlobalScope

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()
installTokenInjection({ apiOrigins: ['https://api.example.com'] })
