import { registerSW } from 'virtual:pwa-register'
import { registerTokenServiceWorker } from 'sw-bearer'
import { getAccessToken } from './auth'

sessionStorage.setItem('loads', String(Number(sessionStorage.getItem('loads')) + 1)) // the test counts page loads

const updateSW = registerSW({
  onNeedRefresh: () => (document.querySelector<HTMLElement>('#prompt')!.hidden = false),
})
document.querySelector('#reload')!.addEventListener('click', () => updateSW(true))

registerTokenServiceWorker({ scriptURL: '/sw.js', getAccessToken }).then((session) => {
  document.querySelector('#status')!.textContent = session.hasToken ? 'signed in' : 'signed out'
})
