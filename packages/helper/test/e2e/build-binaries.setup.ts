import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Fails clearly when dist/bin is missing: `npm run build:binaries` makes it (npm test does), never a test. */
export default function setup(): void {
  const binDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'dist', 'bin');
  for (const name of ['dodil-server', 'dodil']) {
    if (!existsSync(join(binDir, name)))
      throw new Error(
        `${join(binDir, name)} is missing: run \`npm run build:binaries\` (npm test does) first`,
      );
  }
}
