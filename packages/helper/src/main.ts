// The only module that touches `process`: it builds the real Io and sets the
// exit code. Everything else is testable without a process.
import { netOnlyTransport, nodeTransport } from './http/node-transport';
import { pendingDeprecation } from './http/raw-tcp';
import type { Io } from './io';
import { run } from './run';
import { readFd } from './stdin-fd';
import { fdWriter } from './stdout-fd';

// Blocking writes, no stream: see stdout-fd.ts. git runs store/erase with stdout closed; a
// write must not crash us.
const stdout = fdWriter(1, () => process.stdout);
const stderr = fdWriter(2, () => process.stderr);
const io: Io = {
  stdin: () => readFd(0, () => process.stdin),
  stdout,
  stderr,
  env: process.env,
  // node's TCP handle comes from process.binding, which warns under --pending-deprecation.
  transport: pendingDeprecation(process.execArgv, process.env) ? netOnlyTransport : nodeTransport,
  now: () => Date.now(),
};

run([process.argv[1], process.argv0], process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    io.stderr(`dodil: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
