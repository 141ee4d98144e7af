// Types of searx-install.mjs (plain JS, because apps/cli/werkbank.mjs loads it before anything is built).
export declare const SEARX_PYTHON: string;
export declare const SEARX_INSTALL_COMMAND: string;
export declare function searxInstalled(): boolean;
export declare function ensureSearx(options?: { log?: (message: string) => void }): Promise<string>;
