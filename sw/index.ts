export { installTokenInjection } from './installTokenInjection.js'
export type { TokenInjectionOptions } from './installTokenInjection.js'
export { SwBearerError, isSwBearerError } from '../common/errors.js'
export type { SwBearerErrorCode } from '../common/errors.js'
