#!/usr/bin/env node
import { runServerCli } from './cli/run';

// The only file that touches the process: argv, env, streams, signals, exit code.
declare const __DODIL_VERSION__: string | undefined;
declare const __DODIL_COMMIT__: string | undefined;
const version = `${typeof __DODIL_VERSION__ === 'string' ? __DODIL_VERSION__ : '0.1.0-dev'} (${
  typeof __DODIL_COMMIT__ === 'string' ? __DODIL_COMMIT__ : 'unknown commit'
})`;

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => controller.abort());
}

// No top-level await: the single-executable bundle is CommonJS.
void runServerCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  signal: controller.signal,
  version,
}).then((code) => {
  process.exitCode = code;
});
