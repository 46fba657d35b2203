import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { ALL_SCOPES } from '@dodil/shared';
import { createApp } from '../../app';
import {
  ConfigError,
  ensureDataDir,
  isLoopback,
  parseListen,
  readKeyFile,
  resolveMasterKey,
} from '../../config';
import { createBufferedWriter } from '../../edge/buffered-writer';
import { listen } from '../../edge/listen';
import type { TlsSettings } from '../../edge/listen';
import { createJsonLogger } from '../../edge/logger';
import { startAuditRetention } from '../../audit/audit-retention';
import { withRequestMetrics } from '../../metrics/access-metrics';
import { createServerMetrics } from '../../metrics/metrics';
import { listenMetrics } from '../../metrics/metrics-listener';
import type { ReadinessCheck } from '../../ops/readiness';
import type { OperatorRuntime } from '../../runtime';
import { consoleDepsOf } from '../../ui/console-wiring';
import { COMMON_OPTIONS, dataDirOf, openChosenRuntime, parseCommandFlags } from '../common-options';
import { redactUrl, resolveDatabase } from '../database-option';
import { parseDuration } from '../duration';
import { tlsOptionsOf } from '../hardening-options';
import type { TlsOptions } from '../hardening-options';
import { DATABASE_FILE } from '../../storage/database';
import { HARDENING_OPTIONS, hardeningSettings } from '../hardening-options';
import { checkCoreDumps, checkKeyStrength, envKeyWarning } from '../process-guards';
import { weakKeyReason } from '../../crypto/key-strength';
import type { CliIo, Command } from '../io';

const HELP = `usage: dodil-server start [--listen HOST:PORT] [--data-dir DIR]
                          [--master-key-file F | --dev] [--tls-cert F --tls-key F] [--insecure-http]
                          [--metrics-listen HOST:PORT] [--audit-retention DURATION]
                          [--trusted-proxies CIDR[,CIDR…]] [--token-rate N] [--audit-min-free-mb N]
                          [--allow-core-dumps] [--tls-min-version TLSv1.2|TLSv1.3] [--tls-ciphers LIST]

Serves the SecretService API. Defaults: --listen 127.0.0.1:8700 (DODIL_LISTEN), --data-dir ./data (DODIL_DATA_DIR).
The master key comes from DODIL_MASTER_KEY (base64 of 32 bytes), DODIL_MASTER_KEY_FILE or --master-key-file;
--dev generates one in the data dir and creates org "default" with an all-scope token (not for production).
--database postgres://USER@HOST:PORT/DB (or DODIL_DATABASE_URL / DODIL_DATABASE_URL_FILE) serves from PostgreSQL,
so replicas can share one database (docs/ha.md); the password comes from the env, the file, PGPASSWORD or ~/.pgpass.
--drain-delay SECONDS (DODIL_DRAIN_DELAY): on SIGTERM /readyz answers 503 this long before the listener closes.
--metrics-listen (DODIL_METRICS_LISTEN, off by default) serves Prometheus text at /metrics on its own listener.
--audit-retention (e.g. 90d; off by default) prunes audit entries older than that, in small batches, keeping
a verified checkpoint (see: dodil-server audit --help).
--trusted-proxies (DODIL_TRUSTED_PROXIES): take the client address from X-Forwarded-For only from these peers.
--token-rate (DODIL_TOKEN_RATE): requests per second per token, default 1000, 0 = off.
--audit-min-free-mb (DODIL_AUDIT_MIN_FREE_MB): refuse audited requests (503) below this much free disk, default 64.
TLS: --tls-min-version (DODIL_TLS_MIN_VERSION, default TLSv1.2), --tls-ciphers (DODIL_TLS_CIPHERS, OpenSSL list);
SIGHUP re-reads --tls-cert/--tls-key without dropping open connections.
Refuses to start while core dumps are enabled (they would hold the master key): run \`ulimit -c 0\` or set
LimitCORE=0, or pass --allow-core-dumps. --dev only warns.`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  listen: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'insecure-http': { type: 'boolean' },
  'allow-core-dumps': { type: 'boolean' },
  ...HARDENING_OPTIONS,
  'drain-delay': { type: 'string' },
  'metrics-listen': { type: 'string' },
  'audit-retention': { type: 'string' },
} as const;

const DEV_ORG = 'default';

function readTls(
  certFile: string | undefined,
  keyFile: string | undefined,
  options: TlsOptions,
): TlsSettings | undefined {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined)
    throw new ConfigError('--tls-cert and --tls-key go together');
  let files;
  try {
    files = { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch {
    throw new ConfigError('cannot read the TLS certificate or key file');
  }
  const tls = { ...files, ...options };
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new ConfigError(`the TLS certificate, key or options are not usable: ${(err as Error).message}`);
  }
  return tls;
}

async function bootstrapDev(runtime: Pick<OperatorRuntime, 'admin' | 'listOrgs'>, io: CliIo): Promise<void> {
  io.stderr('\n  *** DEV MODE: generated keys and an all-scope token. NOT FOR PRODUCTION. ***\n\n');
  if ((await runtime.listOrgs()).some((org) => org.name === DEV_ORG)) {
    io.stderr(`  org "${DEV_ORG}" exists; make another token with:\n`);
    io.stderr(`  npx dodil-server token create --dev --org ${DEV_ORG} --scopes ${ALL_SCOPES.join(',')}\n\n`);
    return;
  }
  await runtime.admin.createOrg(DEV_ORG);
  const { token } = await runtime.admin.createToken({ org: DEV_ORG, scopes: ALL_SCOPES, name: 'dev' });
  io.stderr(`  created org "${DEV_ORG}" and this token (shown once):\n\n`);
  // stderr, with the banner: stdout is the JSON log stream, which often goes to a log pipeline.
  io.stderr(`DODIL_TOKEN=${token}\n`);
  io.stderr('\n');
}

/** The master key file read again; `undefined` when it is unreadable or not a key (the server then seals). */
function rereadKeyFile(file: string): Uint8Array | undefined {
  try {
    return readKeyFile(file);
  } catch {
    return undefined;
  }
}

/** `--drain-delay`: seconds between /readyz turning 503 on SIGTERM and the listener closing (default 0). */
function parseDrainDelay(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 300) {
    throw new ConfigError('--drain-delay must be a number of seconds between 0 and 300');
  }
  return seconds * 1000;
}

/** `dodil-server start`: serve until SIGTERM/SIGINT, then shut down gracefully. */
export const startCommand: Command = async (argv, io) => {
  const parsed = parseCommandFlags(argv, OPTIONS, HELP, io);
  if (parsed === undefined) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new ConfigError(HELP);
  const address = parseListen(values.listen ?? io.env.DODIL_LISTEN ?? '127.0.0.1:8700');
  const tlsOptions = tlsOptionsOf(values, io.env);
  const tls = readTls(values['tls-cert'], values['tls-key'], tlsOptions);
  if (!tls && !isLoopback(address.host) && !values['insecure-http']) {
    throw new ConfigError(
      `refusing plain HTTP on ${address.host}, which is not loopback: give --tls-cert and --tls-key, or --insecure-http`,
    );
  }
  const hardening = hardeningSettings(values, io.env);
  const drainDelayMs = parseDrainDelay(values['drain-delay'] ?? io.env.DODIL_DRAIN_DELAY);
  const retentionMs =
    values['audit-retention'] === undefined ? undefined : parseDuration(values['audit-retention']);
  const dev = values.dev ?? false;
  checkCoreDumps({
    limits: io.processLimits?.(),
    allowCoreDumps: values['allow-core-dumps'] ?? false,
    dev,
    warn: io.stderr,
  });
  const dataDir = dataDirOf(values['data-dir'], io);
  const database = resolveDatabase(values.database, io.env);
  if (database.engine === 'sqlite' || dev) ensureDataDir(dataDir);
  const master = resolveMasterKey({
    flagFile: values['master-key-file'],
    env: io.env,
    dataDir,
    dev,
    generateDev: dev,
  });
  if (master.source === 'DODIL_MASTER_KEY' && !dev) io.stderr(envKeyWarning(io.pid));
  checkKeyStrength(
    weakKeyReason(master.key),
    database.engine === 'sqlite' && !existsSync(join(dataDir, DATABASE_FILE)),
    io.stderr,
  );
  const metricsText = values['metrics-listen'] ?? io.env.DODIL_METRICS_LISTEN;
  const metricsAddress =
    metricsText === undefined || metricsText === ''
      ? undefined
      : parseListen(metricsText, '--metrics-listen');
  const metrics = metricsAddress === undefined ? undefined : createServerMetrics();
  // One stdout write per event-loop turn, not one per request (the access log); flushed on exit.
  const out = createBufferedWriter(io.stdout);
  const jsonLogger = createJsonLogger(out.write);
  // With metrics, every access-log line (REST and RPC alike) is also counted.
  const logger = metrics === undefined ? jsonLogger : withRequestMetrics(jsonLogger, metrics);
  // `source` is the key file's path, or the variable's name for a key given in the environment.
  const keyFile = master.source === 'DODIL_MASTER_KEY' ? undefined : master.source;
  const runtime = await openChosenRuntime(database, dataDir, {
    masterKey: master.key,
    nativeBinding: io.nativeBinding,
    onIntegrityFailure: (e) => logger.error({ msg: 'slot failed its integrity check', ...e }),
    onExchangeRefused: (e) => logger.info({ msg: 'token exchange refused', ...e }),
    security: {
      tokenRate: hardening.tokenRate,
      ...(hardening.auditMinFreeBytes === undefined
        ? {}
        : { auditMinFreeBytes: hardening.auditMinFreeBytes }),
      // A key file is re-read after a rotation elsewhere: write the new key into it, then run
      // `keys rotate-master`, and every replica follows within a second without a restart.
      ...(keyFile === undefined ? {} : { readMasterKey: () => rereadKeyFile(keyFile) }),
      onSealed: () =>
        logger.error({
          msg: 'sealed: the master key or the audit log changed under this server; refusing to serve until restarted',
        }),
      ...(metrics ? { auditObserver: metrics.audit } : {}),
    },
  });
  try {
    if (dev) {
      if (master.generated) io.stderr(`generated dev master key file ${master.source} (mode 0600)\n`);
      await bootstrapDev(runtime, io);
    }
    // On SIGTERM /readyz turns 503 first (SHUTTING_DOWN), so a load balancer stops sending before the drain.
    const readiness: ReadinessCheck = async () =>
      io.signal.aborted ? ['SHUTTING_DOWN', ...(await runtime.readiness())] : runtime.readiness();
    metrics?.watchReadiness(readiness);
    const app = createApp({
      secrets: runtime.secrets,
      auditQuery: runtime.auditQuery,
      console: consoleDepsOf(runtime, { secureCookies: tls !== undefined, logger }),
      tokens: runtime.tokens,
      exchange: runtime.exchange,
      auth: runtime.auth,
      isReady: async () => (await readiness()).length === 0,
      readiness,
      logger,
      now: () => performance.now(),
      ...(hardening.clientAddressOf ? { clientAddressOf: hardening.clientAddressOf } : {}),
    });
    // Before the API port: if the metrics port can't be bound, nothing is serving yet.
    const metricsServer =
      metrics && metricsAddress
        ? await listenMetrics(metrics, metricsAddress.host, metricsAddress.port)
        : undefined;
    if (metricsServer) logger.info({ msg: 'metrics listening', url: metricsServer.url });
    const server = await listen({
      fetch: app.fetch,
      host: address.host,
      port: address.port,
      ...(tls ? { tls } : {}),
      // gRPC, gRPC-Web and Connect on the same port, over the same services.
      rpc: {
        secrets: runtime.secrets,
        auth: runtime.auth,
        logger,
        now: () => performance.now(),
        ...(hardening.clientAddressOf ? { clientAddressOf: hardening.clientAddressOf } : {}),
      },
    }).catch(async (err: unknown) => {
      // An open metrics listener would keep the process alive after a failed start.
      await metricsServer?.close();
      throw err;
    });
    const retention =
      retentionMs === undefined
        ? undefined
        : startAuditRetention({
            log: runtime.audit,
            retentionMs,
            clock: runtime.clock,
            onPruned: (r) =>
              logger.info({ msg: 'audit pruned', entries: r.pruned, from: (r.checkpoint?.count ?? 0) + 1 }),
            onError: (e) => logger.error({ msg: 'audit prune failed', error: e.name, detail: e.message }),
          });
    logger.info({
      msg: 'listening',
      url: server.url,
      ...(database.engine === 'postgres' ? { database: redactUrl(database.url) } : { dataDir }),
      dev,
    });
    if (tls) {
      // SIGHUP: re-read the certificate and key (renewal); open connections are not dropped.
      io.onReload?.(() => {
        try {
          const next = readTls(values['tls-cert'], values['tls-key'], tlsOptions);
          if (next) server.reloadTls(next);
          logger.info({ msg: 'tls certificate reloaded' });
        } catch (err) {
          logger.error({
            msg: 'tls reload failed; keeping the current certificate',
            detail: (err as Error).message,
          });
        }
      });
    }
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info({ msg: 'shutting down' });
    // /readyz answers 503 from now on; the delay lets the load balancer see it before we stop accepting.
    if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
    await retention?.stop();
    await server.close();
    await metricsServer?.close();
    return 0;
  } finally {
    await runtime.close();
    out.flush();
  }
};
