/** Every failure sw-bearer reports carries one of these stable codes. */
export type SwBearerErrorCode =
  | 'unsupported'
  | 'registration-failed'
  | 'invalid-token'
  | 'invalid-options'
  | 'timeout'
  | 'provider-failed'
  /** The provider handed back the very token the API had just refused (an SDK serving its cache). */
  | 'stale-token'
  /** The worker could not write the session to IndexedDB (storage failing or full); memory still holds it. */
  | 'storage-failed'

/** The shape an error takes when it crosses postMessage (prototypes do not survive it). */
export interface WireError {
  code: SwBearerErrorCode
  message: string
}

const CODES: ReadonlySet<string> = new Set<SwBearerErrorCode>([
  'unsupported',
  'registration-failed',
  'invalid-token',
  'invalid-options',
  'timeout',
  'provider-failed',
  'stale-token',
  'storage-failed',
])

export class SwBearerError extends Error {
  override readonly name = 'SwBearerError'
  readonly code: SwBearerErrorCode

  constructor(code: SwBearerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  toWire(): WireError {
    return { code: this.code, message: this.message }
  }
}

/** Rebuilds an error that crossed postMessage as its wire shape. */
export function fromWire(wire: WireError): SwBearerError {
  return new SwBearerError(wire.code, wire.message)
}

export function isErrorCode(value: unknown): value is SwBearerErrorCode {
  return typeof value === 'string' && CODES.has(value)
}

/** Works across realms and after structured cloning, where `instanceof` does not. */
export function isSwBearerError(value: unknown): value is SwBearerError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'SwBearerError' &&
    isErrorCode((value as { code?: unknown }).code)
  )
}
