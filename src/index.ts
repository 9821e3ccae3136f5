export { registerTokenServiceWorker } from './registerTokenServiceWorker.js'
export type { RegisterOptions } from './registerTokenServiceWorker.js'
export type {
  TokenSession,
  GetAccessToken,
  GetAccessTokenContext,
  RefreshReason,
  TokenSessionEventMap,
  TokenChangeDetail,
  ErrorDetail,
} from './TokenSession.js'
export { SwBearerError, isSwBearerError } from '../common/errors.js'
export type { SwBearerErrorCode } from '../common/errors.js'
