// Replaced at build time by esbuild `define` (build.mjs); the `typeof` guards
// keep the source runnable under tsx/vitest, where they are not defined.
declare const __DODIL_VERSION__: string | undefined;
declare const __DODIL_COMMIT__: string | undefined;

/** The helper's version, from packages/helper/package.json at build time. */
export const VERSION: string = typeof __DODIL_VERSION__ === 'string' ? __DODIL_VERSION__ : '0.0.0-dev';
/** The git commit the bundle was built from, or `unknown`. */
export const COMMIT: string = typeof __DODIL_COMMIT__ === 'string' ? __DODIL_COMMIT__ : 'unknown';

/** `dodil 0.1.0 (commit abc1234)` */
export function versionLine(program = 'dodil'): string {
  return `${program} ${VERSION} (commit ${COMMIT})`;
}
