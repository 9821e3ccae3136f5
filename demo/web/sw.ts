/// <reference lib="webworker" />
import { installTokenInjection } from '../../sw/index.ts'

// Baked in when demo/start.js builds this script: the worker's origin list is part
// of its code, so no message from a page can ever widen it.
declare const __JOTTER_API__: string

installTokenInjection({ apiOrigins: [__JOTTER_API__] })
