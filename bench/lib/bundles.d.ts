/** Types for bundles.js, which test/unit/bundleSize.test.ts imports. */
export declare const ROOT: string
export declare const PLACEHOLDER_ORIGIN: string
export declare const CONSUMER_ENTRIES: Record<string, string>
export declare const DPOP_PAGE_ENTRY: string
export declare function bundleEntries(entries: Record<string, string>, outDir: string): Promise<Record<string, Buffer>>
export declare function measureBundles(outDir: string): Promise<Record<string, { minified: number; gzip: number }>>
export declare function bundleChunks(outDir: string): Promise<Record<string, Buffer>>
export declare function transferSizes(entry: Buffer, chunks: Record<string, Buffer>): { loaded: number; lazy: number }
