export declare const CHROMIUM: string
export declare const OFFLINE_FLAGS: readonly string[]
export declare function assertChromium(): void
