import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

const swBearer = createRequire(import.meta.url).resolve('sw-bearer/sw.classic.js')

export default defineConfig({
  plugins: [
    // sw-bearer's classic build, written to /sw-bearer.js for the generated worker to import.
    { name: 'sw-bearer', generateBundle() { this.emitFile({ type: 'asset', fileName: 'sw-bearer.js', source: readFileSync(swBearer) }) } },
    VitePWA({ registerType: 'autoUpdate', manifest: false, workbox: { importScripts: ['sw-bearer.js', 'bearer-setup.js'] } }),
  ],
})
