// workbox-routing already needs process.env.NODE_ENV defined by the bundler.
declare const process: { env: { NODE_ENV?: string } }

/**
 * True in development builds. Long explanations sit behind it, as in workbox:
 * the bundler folds it to false in production and the text never ships.
 */
export const DEV = process.env.NODE_ENV !== 'production'
