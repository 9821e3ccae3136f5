import { defineConfig } from 'vite'

// The worker side as one classic script for importScripts (vite-plugin-pwa's generateSW,
// a hand-written worker): dependencies inlined, production mode decided here (a classic
// script has no bundler after it to replace process.env.NODE_ENV), and the public API on
// `self.swBearer`.
export default defineConfig({
  define: { 'process.env.NODE_ENV': '"production"' },
  build: {
    lib: { entry: 'sw/index.ts', formats: ['iife'], name: 'swBearer', fileName: () => 'sw.classic.js' },
    target: 'es2022',
    minify: true,
    sourcemap: true,
    emptyOutDir: false,
  },
})
