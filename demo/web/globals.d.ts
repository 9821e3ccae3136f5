/** Set by demo/server/buildClient.js at build time. */
declare const __JOTTER_API__: string
declare const __JOTTER_TOKEN_FORMAT__: 'jwt' | 'opaque'
