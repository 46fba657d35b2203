// Types for the tests that import sea-bundle.mjs from TypeScript.
import type { Plugin } from 'esbuild';

export declare const bundledBuiltinImports: Plugin;
export declare function bundleForSea(options: {
  mainFile: string;
  outFile: string;
  define?: Record<string, string>;
  absWorkingDir: string;
}): Promise<void>;
