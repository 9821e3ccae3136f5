/** Resolves after `ms` milliseconds: the worker's one plain wait. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
