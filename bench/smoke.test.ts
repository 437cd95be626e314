// The benches at tiny sizes, so they cannot rot: every module runs end to end in its own
// process (server, load generator, fake SMS gateway, Chromium) and reports its rows. Figures
// from a smoke run mean nothing, so no target is checked here; errors and broken flows are.
//   node --import tsx --test bench/smoke.test.ts        (about 30 s on 2 cores)
// Timeouts bound a hang, not speed: a busy CI machine (load average 20) needs minutes per module.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LoadResult } from './lib/loadgen.ts';
import { type ModuleResult, runModule } from './lib/report.ts';
import { MODULES, moduleFile, renderReport, machine } from './run.ts';

const results: ModuleResult[] = [];

async function smoke(name: string): Promise<ModuleResult> {
  const result = await runModule(moduleFile(name), { smoke: true, profileDir: null });
  results.push(result);
  assert.equal(result.module, name);
  assert.ok(result.rows.length > 0, `${name} reported no rows`);
  for (const r of result.rows) {
    assert.ok(r.figure && r.value, `${name}: a row without figure or value`);
    assert.doesNotMatch(r.value, /NaN|undefined/, `${name}: ${r.figure} = ${r.value}`);
  }
  return result;
}

test('flows: both paths complete every flow without an error, and the baseline answers', { timeout: 180_000 }, async () => {
  const { details } = await smoke('flows');
  const { server, widget, bare } = details as { server: { result: LoadResult }; widget: { result: LoadResult }; bare: LoadResult };
  for (const [mode, r] of [['server', server.result], ['widget', widget.result]] as const) {
    assert.equal(r.errorCount, 0, `${mode}: ${JSON.stringify(r.errors)}`);
    assert.ok(r.flowsCompleted > 0, `${mode}: no flow completed`);
    assert.equal(r.smsReceived >= r.flowsCompleted, true, `${mode}: fewer texts than flows`);
  }
  assert.equal(bare.errorCount, 0);
  assert.ok(bare.requests > 0);
});

test('memory: the server reports its RSS before and after flows', { timeout: 180_000 }, async () => {
  const { details } = await smoke('memory');
  const { atStart, after, errors } = details as { atStart: { rss: number }; after: { rss: number }; errors: number };
  assert.ok(atStart.rss > 0 && after.rss > 0);
  assert.equal(errors, 0);
});

test('registry: import, lookups and the raw baseline all run', { timeout: 180_000 }, async () => {
  const { details } = await smoke('registry');
  const d = details as { importRate: number; lookup: { p99: number }; baseline: { rowsPerSecond: number } };
  assert.ok(d.importRate > 0 && d.baseline.rowsPerSecond > 0 && d.lookup.p99 > 0);
});

test('signing: service and raw Ed25519 rates', { timeout: 180_000 }, async () => {
  const { details } = await smoke('signing');
  const d = details as { sign: number; verify: number; rawSign: number; rawVerify: number };
  assert.ok(d.sign > 0 && d.verify > 0 && d.rawSign > 0 && d.rawVerify > 0);
});

test('widget: weights and first-step time, or n/a when not built', { timeout: 180_000 }, async () => {
  const { rows } = await smoke('widget');
  assert.equal(rows.length, 3);
  for (const r of rows) assert.ok(r.value.startsWith('n/a') || /\d/.test(r.value), `${r.figure}: ${r.value}`);
});

test('steps: every flow request is timed step by step, and the steps fit inside the request', { timeout: 180_000 }, async () => {
  const { details } = await smoke('steps');
  for (const mode of ['server', 'widget']) {
    const d = (details as Record<string, { meanRequest: number; inSteps: number; steps: { endpoint: string; step: string }[] }>)[mode]!;
    assert.ok(d.inSteps > 0 && d.inSteps < d.meanRequest, `${mode}: ${d.inSteps} s in steps of a ${d.meanRequest} s request`);
    assert.ok(d.steps.some((s) => s.step === 'signToken'), `${mode}: a token was signed`);
    assert.ok(d.steps.every((s) => s.endpoint !== '' && s.step !== ''), `${mode}: every step is named`);
  }
});

test('pg-cost: one flow replayed on PostgreSQL writes WAL and commits, and the projection is computed', { timeout: 180_000 }, async () => {
  const { details } = await smoke('pg-cost');
  const { perFlow, projection } = details as { perFlow: { statements: number; writingTransactions: number; walBytes: number }; projection: { walMBps: number } };
  assert.ok(perFlow.statements > 0 && perFlow.writingTransactions > 0 && perFlow.walBytes > 0);
  assert.ok(projection.walMBps > 0);
});

test('scale: SQLite and PostgreSQL + Redis at 1 and 2 processes, and PostgreSQL + a Redis Cluster at 1, complete every flow; lookups and the projections run', { timeout: 480_000 }, async () => {
  const { details } = await smoke('scale');
  const d = details as {
    runs: { store: string; workers: number; result: LoadResult }[];
    lookups: { lookup: { p99: number } };
    projection: { processes: number };
    projectionOnRedisCluster: { redisCores: number };
  };
  assert.deepEqual(
    d.runs.map((r) => `${r.store}×${r.workers}`),
    ['sqlite×1', 'sqlite×2', 'distributed×1', 'distributed×2', 'redis-cluster×1'],
  );
  for (const r of d.runs) {
    // Every answer must be right. A request still unanswered after the load generator's 10 s is
    // counted as a connection error: on a busy 2-core machine two processes contending for one
    // SQLite file can queue that long, which the full bench reports and a smoke run need not fail on.
    const { connection = 0, ...wrong } = r.result.errors;
    assert.deepEqual(wrong, {}, `wrong answers: ${JSON.stringify(r.result.errors)}`);
    assert.ok(r.result.flowsCompleted > 0 && connection < r.result.flowsCompleted, JSON.stringify(r.result.errors));
  }
  assert.ok(d.lookups.lookup.p99 > 0 && d.projection.processes > 0);
  assert.ok(d.projectionOnRedisCluster.redisCores > 0, 'the Redis Cluster run measured its Redis CPU');
});

test('pg-import: the same rows bulk-imported into PostgreSQL and SQLite', { timeout: 240_000 }, async () => {
  const { details } = await smoke('pg-import');
  const d = details as { rows: number; postgres: { rowsPerSecond: number }; sqlite: { rowsPerSecond: number } };
  assert.ok(d.rows > 0 && d.postgres.rowsPerSecond > 0 && d.sqlite.rowsPerSecond > 0);
});

test('the report renders one table with every module', () => {
  assert.deepEqual(
    results.map((r) => r.module).sort(),
    [...MODULES].sort(),
  );
  const report = renderReport(results, machine(), true);
  const tableLines = report.split('\n').filter((l) => l.startsWith('|'));
  assert.equal(tableLines.length, 2 + results.reduce((n, r) => n + r.rows.length, 0));
});
