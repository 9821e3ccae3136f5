import { registerSW } from 'virtual:pwa-register'
import { registerTokenServiceWorker } from 'sw-bearer'
import { getAccessToken } from './auth'

registerSW({ immediate: true })
// The script vite-plugin-pwa generates, as it registers it (classic: no `type`).
registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken }).then((session) => {
  document.querySelector('#status')!.textContent = session.hasToken ? 'signed in' : 'signed out'
})
