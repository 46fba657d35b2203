// Types for the tests that import bundle-options.mjs from TypeScript.
import type { BuildOptions } from 'esbuild';

export declare const BENCH_VARIANTS: readonly string[];
export declare function benchDefineName(variant: string): string;
export declare function benchDefines(variants?: readonly string[]): Record<string, string>;
export declare function serverBundleOptions(options: {
  kind: 'node' | 'sea';
  outfile: string;
  buildDefine: Record<string, string>;
  variants?: readonly string[];
}): BuildOptions;
