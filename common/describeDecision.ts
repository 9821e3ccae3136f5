import type { Decision, SkipReason } from './decision.js'

const WHY: Record<SkipReason, string> = {
  'not-listed': 'its origin is not listed',
  'near-miss': 'its origin is not listed',
  navigation: 'it is a navigation',
  'no-cors': "it is a no-cors request (the browser would drop Authorization)",
  'own-authorization': 'it carries its own Authorization header',
  'auth-route': "it is the auth SDK's own traffic (a token endpoint or an authRoutes entry)",
  'signed-out': 'nobody is signed in',
}

/** One line of debug output; holds no token by construction (Decision holds none). */
export function describeDecision(decision: Decision): string {
  switch (decision.kind) {
    case 'injected':
      return `sw-bearer: ${decision.method} ${decision.url}: token added`
    case 'skipped': {
      const near = decision.nearMiss
        ? `, but ${decision.nearMiss} is: is the API called with another spelling of the origin you listed?`
        : ''
      return `sw-bearer: ${decision.method} ${decision.url}: no token, ${WHY[decision.reason]}${near}`
    }
    case 'refreshing':
      return `sw-bearer: ${decision.method} ${decision.url}: 401 from the API, refreshing once`
    case 'retried':
      return `sw-bearer: ${decision.method} ${decision.url}: retried with the new token, answered ${decision.status}`
    case 'refresh-failed':
      return `sw-bearer: refresh failed (${decision.code})`
  }
}
