import { defineConfig } from 'vite'

// Library build: ESM for both sides; runtime dependencies stay bare imports so
// the consumer's bundler resolves and dedupes them.
export default defineConfig({
  build: {
    lib: {
      entry: { index: 'src/index.ts', sw: 'sw/index.ts', adapters: 'adapters/index.ts' },
      formats: ['es'],
    },
    rollupOptions: {
      external: [/^idb(\/|$)/, /^jose(\/|$)/, /^workbox-(core|routing)(\/|$)/],
      // The protocol, errors and header checks both sides import.
      output: { chunkFileNames: 'common-[hash].js' },
    },
    target: 'es2022',
    minify: false,
    sourcemap: true,
    emptyOutDir: true,
  },
})
