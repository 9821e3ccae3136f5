/** The expression that calls `window.bench[name](...args)` in a page, whatever the engine. */
export const benchCall = (name, args) => `window.bench[${JSON.stringify(name)}](...${JSON.stringify(args)})`
