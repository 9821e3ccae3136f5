export { registerTokenServiceWorker } from './registerTokenServiceWorker.js'
export type { RegisterOptions } from './registerTokenServiceWorker.js'
export type { FallbackOptions } from './inPage/fallbackOptions.js'
export type { Decision, SkipReason } from '../common/decision.js'
export type {
  TokenSession,
  GetAccessToken,
  GetAccessTokenContext,
  RefreshReason,
  TokenSessionEventMap,
  TokenChangeDetail,
  ErrorDetail,
  SessionMode,
  ModeChangeDetail,
  DecisionDetail,
  SessionInspection,
} from './TokenSession.js'
export type { ResourceView, ResourceChangeDetail } from './resources/ResourceStates.js'
export { SwBearerError, isSwBearerError } from '../common/errors.js'
export type { SwBearerErrorCode } from '../common/errors.js'
export type { ApiOrigin } from '../common/origins.js'
export type { DpopCredential } from '../common/dpopCredential.js'
