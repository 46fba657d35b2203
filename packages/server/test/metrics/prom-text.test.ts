import { describe, expect, test } from 'vitest';
import { parsePrometheusText, sampleSum } from '../support/prom-text';

// The test parser must reject what a scraper rejects, or the metrics tests prove nothing.
describe('strict Prometheus text parser (test support)', () => {
  const good = [
    '# HELP c_total A counter.',
    '# TYPE c_total counter',
    'c_total{a="x\\"y\\\\z\\n"} 3',
    '# TYPE h histogram',
    'h_bucket{le="0.1"} 1',
    'h_bucket{le="+Inf"} 2',
    'h_sum 0.3',
    'h_count 2',
    '',
  ].join('\n');

  test('reads families, escapes and histograms', () => {
    const f = parsePrometheusText(good);
    expect(f.get('c_total')?.samples[0]?.labels.a).toBe('x"y\\z\n');
    expect(sampleSum(f, 'h_count')).toBe(2);
  });

  test.each([
    ['a sample before its TYPE', 'x 1\n'],
    ['a bad escape', '# TYPE c counter\nc{a="\\q"} 1\n'],
    ['an unterminated label', '# TYPE c counter\nc{a="x} 1\n'],
    ['a duplicate series', '# TYPE c counter\nc{a="x"} 1\nc{a="x"} 2\n'],
    ['a bad value', '# TYPE c counter\nc 1x\n'],
    ['non-cumulative buckets', '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_count 2\n'],
    ['+Inf bucket differing from _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n'],
    ['no trailing newline', '# TYPE c counter\nc 1'],
    ['two TYPE lines', '# TYPE c counter\n# TYPE c gauge\n'],
  ])('rejects %s', (_why, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
