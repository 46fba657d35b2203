// The audit export, prune and checkpoint suite ../audit-retention.test.ts, run on PostgreSQL
// (one suite, both engines: support/engine.ts).
import { useEngine } from '../../support/engine';

useEngine('postgres');
await import('../audit-retention.test');
