// Where a flow request's service time goes: each named step of the session flows (the pipeline
// of server/sessions/endpoints.ts), timed by the service itself (KYCVS_STEP_TIMING) at one
// connection, so no queue is in the figures; what the steps leave of the request's time is HTTP,
// routing, JSON, validation, authentication and logging. Wall time: on SQLite every store call
// is synchronous, so a step's time is its CPU (plus what the other processes take of the core).
import { startFlowRig } from './lib/flow-rig.ts';
import type { LoadMode } from './lib/loadgen.ts';
import { type BenchOptions, type ModuleResult, moduleMain, progress, row } from './lib/report.ts';
import { fmt, fmtPct } from './lib/stats.ts';

const FULL = { registryRows: 100_000, warmupFlows: 1_000, flows: { server: 3_000, widget: 1_500 } };
const SMOKE = { registryRows: 2_000, warmupFlows: 20, flows: { server: 40, widget: 20 } };
const REQUESTS_PER_FLOW = { server: 2, widget: 4 } as const;

/** Sums and counts of one histogram from a Prometheus text page, by its label set. */
function histogramTotals(text: string, name: string): Map<string, { sum: number; count: number }> {
  const totals = new Map<string, { sum: number; count: number }>();
  const line = new RegExp(`^${name}_(sum|count)\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const [, kind, labels, value] of text.matchAll(line)) {
    const entry = totals.get(labels!) ?? { sum: 0, count: 0 };
    entry[kind as 'sum' | 'count'] = Number(value);
    totals.set(labels!, entry);
  }
  return totals;
}

/** What happened between two readings of the same histogram. */
function since(after: Map<string, { sum: number; count: number }>, before: Map<string, { sum: number; count: number }>) {
  const out = new Map<string, { sum: number; count: number }>();
  for (const [labels, a] of after) {
    const b = before.get(labels) ?? { sum: 0, count: 0 };
    if (a.count > b.count) out.set(labels, { sum: a.sum - b.sum, count: a.count - b.count });
  }
  return out;
}

const label = (labels: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
const us = (seconds: number) => `${fmt(seconds * 1e6)} µs`;

export async function measure(options: BenchOptions): Promise<Omit<ModuleResult, 'module' | 'seconds'>> {
  const size = options.smoke ? SMOKE : FULL;
  progress(`steps: preparing a registry of ${fmt(size.registryRows)}, service with KYCVS_STEP_TIMING=1`);
  const rig = await startFlowRig({ registryRows: size.registryRows, profileDir: options.profileDir, label: 'steps', serverEnv: { KYCVS_STEP_TIMING: '1' } });
  try {
    const metrics = async () => (await fetch(`${rig.serverUrl}/metrics`)).text();
    for (const mode of ['server', 'widget'] as const) await rig.run(mode, size.warmupFlows * REQUESTS_PER_FLOW[mode], 1);

    const rows = [];
    const notes: string[] = [];
    const details: Record<string, unknown> = {};
    for (const mode of ['server', 'widget'] as const satisfies LoadMode[]) {
      progress(`steps: ${mode} path, ${fmt(size.flows[mode])} flows at 1 connection`);
      const before = await metrics();
      const cpu0 = rig.serverCpuSeconds();
      const result = await rig.run(mode, size.flows[mode] * REQUESTS_PER_FLOW[mode], 1);
      const cpuPerRequest = (rig.serverCpuSeconds() - cpu0) / result.requests;
      const after = await metrics();
      const steps = since(histogramTotals(after, 'kycvs_flow_step_seconds'), histogramTotals(before, 'kycvs_flow_step_seconds'));
      const requests = since(histogramTotals(after, 'kycvs_http_request_duration_seconds'), histogramTotals(before, 'kycvs_http_request_duration_seconds'));
      const requestSeconds = [...requests.values()].reduce((n, r) => n + r.sum, 0);
      const requestCount = [...requests.values()].reduce((n, r) => n + r.count, 0);
      // Per request of the path: each step's time divided by all the path's requests, so the steps
      // and what is outside them add up to the mean request.
      const perRequest = [...steps].map(([labels, s]) => ({ endpoint: label(labels, 'endpoint'), step: label(labels, 'step'), seconds: s.sum / requestCount, mean: s.sum / s.count }));
      perRequest.sort((a, b) => b.seconds - a.seconds);
      const inSteps = perRequest.reduce((n, s) => n + s.seconds, 0);
      const meanRequest = requestSeconds / requestCount;
      const name = mode === 'server' ? 'server-to-server' : 'widget path';
      rows.push(
        row(`Flow request time at 1 connection, ${name}: in the steps / outside them`, `${us(inSteps)} / ${us(meanRequest - inSteps)}`, {
          baseline: `mean request ${us(meanRequest)} (CPU ${us(cpuPerRequest)})`,
          ratio: `${fmtPct(inSteps / meanRequest)} in steps`,
        }),
      );
      const top = perRequest.slice(0, 12).map((s) => `${s.endpoint}·${s.step} ${us(s.seconds)} (${fmtPct(s.seconds / meanRequest)}; ${us(s.mean)} a call)`);
      notes.push(
        `steps, ${name}: per request (mean ${us(meanRequest)}, server CPU ${us(cpuPerRequest)}), largest first: ${top.join(', ')}; ` +
          `the other ${perRequest.length - top.length} steps ${us(perRequest.slice(12).reduce((n, s) => n + s.seconds, 0))}; outside the steps (HTTP, routing, body, validation, auth, logging) ${us(meanRequest - inSteps)}.`,
      );
      details[mode] = { meanRequest, cpuPerRequest, inSteps, steps: perRequest, load: result };
    }
    return { rows, notes, details };
  } finally {
    await rig.close();
  }
}

moduleMain(import.meta.url, 'steps', measure);
