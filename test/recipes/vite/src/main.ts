import { registerTokenServiceWorker } from 'sw-bearer'
import { getAccessToken } from './auth'

registerTokenServiceWorker({
  // `vite` serves sw.ts itself, `vite build` writes sw.js; both are ES modules.
  scriptURL: import.meta.env.DEV ? '/sw.ts' : '/sw.js',
  type: 'module',
  getAccessToken,
}).then((session) => {
  document.querySelector('#status')!.textContent = session.hasToken ? 'signed in' : 'signed out'
})
