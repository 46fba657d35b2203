// The contract suite ../list-and-misc.test.ts, run on PostgreSQL (one suite, both engines: support/engine.ts).
import { useEngine } from '../../support/engine';

useEngine('postgres');
await import('../list-and-misc.test');
