import { SwBearerError } from '../common/errors.js'

/**
 * For SDKs that hold one token for one API (Firebase ID tokens, Privy, WorkOS AuthKit): a
 * resource's token cannot be had from them. Thrown as `invalid-options` (the getter's error
 * reaches the app as a `provider-failed` event with it as `cause`): a worker listing a resource
 * for them is a setup mistake, and sending the default token there would be a wrong audience.
 */
export function refuseResource(adapter: string, resource: string | undefined): void {
  if (resource !== undefined) {
    throw new SwBearerError('invalid-options', `${adapter}: this SDK holds one token; list "${resource}"'s origin as a plain origin or use an SDK with resources (Auth0, oidc-client-ts, Okta)`)
  }
}
