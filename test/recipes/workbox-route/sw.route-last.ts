/// <reference lib="webworker" />
import { registerRoute } from 'workbox-routing'
import { NetworkFirst } from 'workbox-strategies'
import { installTokenInjection } from 'sw-bearer/sw'

const API = 'https://api.example.com'

installTokenInjection({ apiOrigins: [API] })
// Registered after sw-bearer's routes: it still runs, and its requests carry the token.
registerRoute(({ url }) => url.origin === API, new NetworkFirst({ cacheName: 'api' }))
