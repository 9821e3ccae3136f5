/** Set by demo/server/buildClient.js at build time. */
declare const __JOTTER_API__: string
/** The OpenID Provider's issuer, where oidc-client-ts finds its discovery document. */
declare const __JOTTER_AUTHORITY__: string
declare const __JOTTER_CLIENT_ID__: string
/** The API's resource indicator: the `aud` of the access tokens. */
declare const __JOTTER_AUDIENCE__: string
