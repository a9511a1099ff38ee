// Metric math table tests: the examples of AWS's "Using metric math" guide, on small series.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, parseExpression, type MathContext, type Series, type Value } from './math.js';

const T = (i: number) => 60_000 * i;
const series = (values: Array<number | undefined>): Series => new Map(values.flatMap((v, i) => (v === undefined ? [] : [[T(i), v] as [number, number]])));
const grid = [0, 1, 2, 3, 4].map(T);

function ctx(data: Record<string, Array<number | undefined>>): MathContext {
  return {
    resolve: (id) => (data[id] ? { kind: 'series', s: series(data[id]), period: 60 } : undefined),
    metricIds: Object.keys(data), grid, period: 60,
  };
}

const show = (v: Value) => v.kind === 'scalar' ? v.v : v.kind === 'series' ? grid.map((t) => v.s.get(t)) : v.list.map((e) => grid.map((t) => e.s.get(t)));
const run = (expr: string, data: Record<string, Array<number | undefined>>) => show(evaluate(parseExpression(expr), ctx(data), expr));

const errors = [1, 2, undefined, 4, 0];
const requests = [100, 100, 50, 200, 10];

const cases: Array<[string, Record<string, Array<number | undefined>>, unknown]> = [
  // "Error rate as a percentage": 100*(errors/requests); only timestamps both have
  ['100*(errors/requests)', { errors, requests }, [1, 2, undefined, 2, 0]],
  ['errors + requests', { errors, requests }, [101, 102, undefined, 204, 10]],
  ['requests - errors * 2', { errors, requests }, [98, 96, undefined, 192, 10]],
  ['2 ^ 3 ^ 2', {}, 512],
  ['-requests / 10', { requests }, [-10, -10, -5, -20, -1]],
  // SUM/AVG/MIN/MAX of one series are scalars; of an array, a series per timestamp
  ['SUM(requests)', { requests }, 460],
  ['AVG(requests)', { requests }, 92],
  ['MAX(errors)', { errors }, 4],
  ['MIN(errors)', { errors }, 0],
  ['SUM(METRICS())', { errors, requests }, [101, 102, 50, 204, 10]],
  ['MAX(METRICS())', { errors, requests }, [100, 100, 50, 200, 10]],
  ['METRICS("err")', { errors, requests }, [[1, 2, undefined, 4, 0]]],
  ['requests / AVG(requests)', { requests: [50, 150, 100, 100, 100] }, [0.5, 1.5, 1, 1, 1]],
  // FILL
  ['FILL(errors, 0)', { errors }, [1, 2, 0, 4, 0]],
  ['FILL(errors, REPEAT)', { errors }, [1, 2, 2, 4, 0]],
  ['FILL(errors, LINEAR)', { errors }, [1, 2, 3, 4, 0]],
  ['FILL(METRICS(), 0)', { errors }, [[1, 2, 0, 4, 0]]],
  // IF and comparisons
  ['IF(requests > 60, errors)', { errors, requests }, [1, 2, undefined, 4, undefined]],
  ['IF(errors >= 2, 1, 0)', { errors }, [0, 1, undefined, 1, 0]],
  ['IF(errors > 0 AND requests > 50, 1, 0)', { errors, requests }, [1, 1, undefined, 1, 0]],
  ['IF(errors == 0 OR requests < 60, 1, 0)', { errors, requests }, [0, 0, undefined, 0, 1]],
  ['ABS(0 - errors)', { errors }, [1, 2, undefined, 4, 0]],
  ['DIFF(requests)', { requests }, [undefined, 0, -50, 150, -190]],
  ['PERIOD(requests)', { requests }, 60],
];

describe('metric math (AWS guide examples)', () => {
  for (const [expr, data, expected] of cases) {
    it(expr, () => assert.deepEqual(run(expr, data), expected));
  }

  it('names unknown ids, functions and syntax errors', () => {
    for (const [expr, text] of [['m9 + 1', /Unrecognized id: m9/], ['FOO(m1)', /Unknown function FOO/], ['m1 +', /unexpected end/], ['(m1', /expected '\)'/]] as const) {
      assert.throws(() => run(expr, { m1: [1] }), (err: Error) => err.name === 'ValidationError' && text.test(err.message), expr);
    }
  });
});
