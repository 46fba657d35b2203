// The limit: a bare Hono hello-world on @hono/node-server, listening the way dodil-server does
// (createAdaptorServer + listen), and announcing itself with the same JSON log line.
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono().get('/', (c) => c.text('Hello Hono!'));
const server = createAdaptorServer({ fetch: app.fetch });
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => server.close(() => process.exit(0)));
