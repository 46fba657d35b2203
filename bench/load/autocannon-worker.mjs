// The same request mix as wrk.lua, for machines without wrk (CI, the smoke test): autocannon in
// its own process. argv[2] is JSON {url, mode, tokensFile, perOrg, connections, seconds};
// prints one JSON line shaped like wrk.lua's.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
const auth = cfg.tokensFile
  ? readFileSync(cfg.tokensFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((t) => `Bearer ${t}`)
  : ['Bearer none'];
const rnd = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
const slot = (i) => `slot-${String(i).padStart(6, '0')}`;

function setupRequest(req) {
  const org = rnd(0, auth.length - 1);
  const headers = { authorization: auth[org] };
  switch (cfg.mode) {
    case 'get':
      return { ...req, method: 'GET', path: `/v1/ignite/secrets/${slot(rnd(0, cfg.perOrg - 1))}`, headers };
    case 'list':
      return { ...req, method: 'GET', path: '/v1/ignite/secrets?pageSize=100', headers };
    case 'create': {
      const i = cfg.perOrg > 1 ? rnd(1, cfg.perOrg - 1) : 0;
      const token = `ghp_rotated${String(rnd(0, 99_999_999)).padStart(8, '0')}${'0'.repeat(26)}`;
      const body = JSON.stringify({ name: slot(i), value: { gitSecret: { username: `bot-${org}`, token } } });
      return {
        ...req,
        method: 'POST',
        path: '/v1/ignite/secrets',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      };
    }
    default:
      return { ...req, method: 'GET', path: '/', headers };
  }
}

const result = await autocannon({
  url: cfg.url,
  connections: cfg.connections,
  duration: cfg.seconds,
  requests: [{ setupRequest }],
});
const us = (ms) => Math.round(ms * 1000);
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    durationUs: Math.round(result.duration * 1e6),
    bytes: result.throughput.total,
    errors: {
      connect: 0,
      read: result.errors,
      write: 0,
      status: result.non2xx,
      timeout: result.timeouts,
    },
    latencyUs: {
      p50: us(result.latency.p50),
      p90: us(result.latency.p90),
      p99: us(result.latency.p99),
      max: us(result.latency.max),
      mean: us(result.latency.mean),
    },
  })}\n`,
);
