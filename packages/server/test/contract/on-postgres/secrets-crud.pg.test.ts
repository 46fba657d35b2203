// The contract suite ../secrets-crud.test.ts, run on PostgreSQL (one suite, both engines: support/engine.ts).
import { useEngine } from '../../support/engine';

useEngine('postgres');
await import('../secrets-crud.test');
