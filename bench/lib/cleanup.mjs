// What a bench run must undo (servers, a PostgreSQL it started, its database, the run directory),
// undone at the end of the run and also on SIGINT/SIGTERM: a PostgreSQL started by pg_ctl runs in a
// session of its own, so the Ctrl-C that stops the bench's other children never reaches it.

/**
 * A stack of cleanups: `add(fn)` (sync or async), `run()` undoes them once, last added first, each
 * error logged and the rest still run. A SIGINT or SIGTERM runs them and exits with 130.
 */
export function cleanupStack(log) {
  const fns = [];
  let running;
  const run = () => {
    running ??= (async () => {
      while (fns.length > 0) {
        const fn = fns.pop();
        try {
          await fn();
        } catch (err) {
          log(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    return running;
  };
  const onSignal = (signal) => {
    log(`bench: ${signal}, stopping what it started …`);
    void run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    add: (fn) => {
      fns.push(fn);
    },
    run: async () => {
      await run();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
