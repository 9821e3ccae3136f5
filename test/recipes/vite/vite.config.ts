import { defineConfig } from 'vite'

export default defineConfig({
  build: {
    rolldownOptions: {
      // The worker is a second entry, written to /sw.js (no hash: its URL must not change).
      input: { index: 'index.html', sw: 'sw.ts' },
      output: { entryFileNames: (chunk) => (chunk.name === 'sw' ? 'sw.js' : 'assets/[name]-[hash].js') },
    },
  },
})
