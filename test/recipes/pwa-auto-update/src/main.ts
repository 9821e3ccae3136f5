import { registerSW } from 'virtual:pwa-register'
import { registerTokenServiceWorker } from 'sw-bearer'
import { getAccessToken } from './auth'

sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads')) + 1)) // the test counts page loads

registerSW({ immediate: true })
// The script vite-plugin-pwa registers, as it registers it (classic: no `type`).
registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken }).then((session) => {
  document.querySelector('#status')!.textContent = session.hasToken ? 'signed in' : 'signed out'
})
