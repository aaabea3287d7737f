import type { Plugin } from 'vite';

export declare const STAMP_FILE: string;
/** The main build's plugin that writes out/electron/main/cli-stamp.json (see cli-bundle.mjs). */
export declare function cliBundleStamp(root?: string): Plugin;
/** null when out/electron/main/cli.js is current with the sources; else why not. */
export declare function cliBundleState(root: string): string | null;
