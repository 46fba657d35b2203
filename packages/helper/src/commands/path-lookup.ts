import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when an executable named `name` is on the caller's PATH (used for setup warnings only). */
export function helperOnPath(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
