// Replaced by the app's bundler (Vite, webpack, esbuild and Rollup presets all define it).
declare const process: { env: { NODE_ENV?: string } }

/**
 * True in development builds of the app. Without a bundler that defines
 * `process.env.NODE_ENV` (a page loading the module as is) this is false: silent.
 */
export const DEV: boolean = (() => {
  try {
    return process.env.NODE_ENV !== 'production'
  } catch {
    return false
  }
})()
