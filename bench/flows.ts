// Verification flows per second and latency at 50 concurrent connections, server-to-server and
// widget path, against a bare Express app answering the same number of JSON requests, all in
// one run. Load: autocannon in a process of its own, with the fake SMS gateway beside it.
import { startFlowRig } from './lib/flow-rig.ts';
import type { LoadResult } from './lib/loadgen.ts';
import { type BenchOptions, type ModuleResult, moduleMain, progress, row } from './lib/report.ts';
import { fmt, fmtMs, fmtPct } from './lib/stats.ts';

export const CONNECTIONS = 50;
/** Issue 12: request rate as a share of bare Express's, server-to-server and widget path. */
export const THROUGHPUT_TARGET = { server: 0.45, widget: 0.5 } as const;
export const P99_TARGET_MS = 25;
/** Issue 12: server CPU per server-to-server flow request at most this many times bare Express's per request. */
export const CPU_RATIO_TARGET = 2.2;

const FULL = { registryRows: 100_000, warmupFlows: 2_000, serverFlows: 24_000, widgetFlows: 10_000, serialFlows: 1_000 };
const SMOKE = { registryRows: 2_000, warmupFlows: 50, serverFlows: 200, widgetFlows: 100, serialFlows: 20 };

/** Requests per flow: server-to-server is create+send, verify+consent; the widget path has four steps. */
const REQUESTS_PER_FLOW = { server: 2, widget: 4 } as const;

export async function measure(options: BenchOptions): Promise<Omit<ModuleResult, 'module' | 'seconds'>> {
  const size = options.smoke ? SMOKE : FULL;
  progress(`flows: preparing a registry of ${fmt(size.registryRows)} and starting server + load generator`);
  const rig = await startFlowRig({ registryRows: size.registryRows, profileDir: options.profileDir, label: 'flows' });
  try {
    progress(`flows: warm-up (${fmt(size.warmupFlows)} flows each way, not counted)`);
    await rig.run('server', size.warmupFlows * REQUESTS_PER_FLOW.server, CONNECTIONS);
    await rig.run('widget', size.warmupFlows * REQUESTS_PER_FLOW.widget, CONNECTIONS);

    const measured = async (mode: 'server' | 'widget', flows: number, connections = CONNECTIONS) => {
      progress(`flows: ${mode} path, ${fmt(flows)} flows at ${connections} connection(s)`);
      const cpu0 = rig.serverCpuSeconds();
      const main0 = rig.serverMainThreadCpuSeconds();
      await rig.loopDelay();
      const result = await rig.run(mode, flows * REQUESTS_PER_FLOW[mode], connections);
      return {
        result,
        serverCpuSeconds: rig.serverCpuSeconds() - cpu0,
        mainThreadCpuSeconds: rig.serverMainThreadCpuSeconds() - main0,
        loopDelay: await rig.loopDelay(),
      };
    };
    const server = await measured('server', size.serverFlows);
    // One connection: each request's own service time, with no queue in front of it.
    const serial = await measured('server', size.serialFlows, 1);
    const widget = await measured('widget', size.widgetFlows);

    const bareAmount = server.result.requests;
    progress(`flows: baseline, bare Express answering ${fmt(bareAmount)} JSON requests`);
    const bare = await rig.runBare(bareAmount, CONNECTIONS, size.warmupFlows * REQUESTS_PER_FLOW.widget);

    const cpuPerRequest = (cpuSeconds: number, r: LoadResult) => cpuSeconds / r.requests;
    const bareCpu = cpuPerRequest(bare.serverCpuSeconds, bare);
    const cpuRow = (label: string, run: { result: LoadResult; serverCpuSeconds: number }, target: number | null) => {
      const cpu = cpuPerRequest(run.serverCpuSeconds, run.result);
      const ratio = cpu / bareCpu;
      return row(`${label}: server CPU per request`, `${fmt(cpu * 1e3, 2)} ms`, {
        baseline: `bare Express ${fmt(bareCpu * 1e3, 2)} ms`,
        ratio: `${fmt(ratio, 1)}×`,
        ...(target === null ? {} : { target: `≤ ${target}×`, met: ratio <= target }),
      });
    };
    const rows = [
      ...flowRows('Flows, server-to-server', server.result, bare, THROUGHPUT_TARGET.server),
      cpuRow('Flows, server-to-server', server, CPU_RATIO_TARGET),
      row('Flows, server-to-server at 1 connection: p50 / p99', `${fmtMs(serial.result.latency.p50)} / ${fmtMs(serial.result.latency.p99)}`, {
        baseline: `${fmt(serial.result.requestsPerSecond)} req/s`,
        target: 'service time',
      }),
      ...flowRows('Flows, widget path', widget.result, bare, THROUGHPUT_TARGET.widget),
      cpuRow('Flows, widget path', widget, null),
      row(`Bare Express, ${CONNECTIONS} connections`, `${fmt(bare.requestsPerSecond)} req/s, p50 ${fmtMs(bare.latency.p50)}, p99 ${fmtMs(bare.latency.p99)}`, {
        baseline: 'baseline',
      }),
    ];
    const notes = [
      `Server CPU per request: server-to-server ${fmt(cpuPerRequest(server.serverCpuSeconds, server.result) * 1e3, 2)} ms, ` +
        `widget path ${fmt(cpuPerRequest(widget.serverCpuSeconds, widget.result) * 1e3, 2)} ms ` +
        `(${fmt(server.serverCpuSeconds / server.result.seconds, 2)} and ${fmt(widget.serverCpuSeconds / widget.result.seconds, 2)} cores busy); ` +
        `load generator used ${fmt(server.result.loadgenCpuSeconds / server.result.seconds, 2)} / ${fmt(widget.result.loadgenCpuSeconds / widget.result.seconds, 2)} / ${fmt(bare.loadgenCpuSeconds / bare.seconds, 2)} cores (server / widget / bare).`,
    ];
    const bareMain = cpuPerRequest(bare.mainThreadCpuSeconds, bare);
    const threadSplit = (run: { result: LoadResult; serverCpuSeconds: number; mainThreadCpuSeconds: number }) => {
      const main = cpuPerRequest(run.mainThreadCpuSeconds, run.result);
      return `main thread ${fmt(main * 1e6)} µs (${fmt(main / bareMain, 1)}× bare's), other threads ${fmt(cpuPerRequest(run.serverCpuSeconds - run.mainThreadCpuSeconds, run.result) * 1e6)} µs`;
    };
    notes.push(
      `CPU per request by thread: server-to-server ${threadSplit(server)}; widget path ${threadSplit(widget)}; ` +
        `bare Express main thread ${fmt(bareMain * 1e6)} µs, other threads ${fmt(cpuPerRequest(bare.serverCpuSeconds - bare.mainThreadCpuSeconds, bare) * 1e6)} µs. ` +
        `The service's other threads are the SMS sender (one HTTP request to the gateway per text), the WAL checkpointer and V8's GC and compiler helpers.`,
    );
    notes.push(
      `Latency at ${CONNECTIONS} connections is mostly queueing: in a closed loop the mean is ${CONNECTIONS} / throughput ` +
        `(${fmtMs((CONNECTIONS / server.result.requestsPerSecond) * 1000)} server-to-server, ${fmtMs((CONNECTIONS / widget.result.requestsPerSecond) * 1000)} widget, ` +
        `${fmtMs((CONNECTIONS / bare.requestsPerSecond) * 1000)} bare), so p99 < ${P99_TARGET_MS} ms there needs about bare Express's request rate. ` +
        `With one connection (no queue) a server-to-server request takes p50 ${fmtMs(serial.result.latency.p50)}, p99 ${fmtMs(serial.result.latency.p99)}, ` +
        `max ${fmtMs(serial.result.latency.max)}; the server's event loop was then blocked up to ${fmtMs(serial.loopDelay.max)} at once ` +
        `(event-loop delay p99 ${fmtMs(serial.loopDelay.p99)}: synchronous work such as SQLite commits and WAL checkpoints, or GC).`,
    );
    for (const [mode, r] of [['server-to-server', server.result], ['server-to-server, 1 connection', serial.result], ['widget', widget.result], ['bare', bare]] as const) {
      if (r.errorCount > 0) notes.push(`Errors (${mode}): ${Object.entries(r.errors).map(([k, n]) => `${k} ×${n}`).join(', ')}.`);
    }
    return {
      rows,
      notes,
      details: { connections: CONNECTIONS, size, server, serial, widget, bare },
    };
  } finally {
    await rig.close();
  }
}

function flowRows(label: string, r: LoadResult, bare: LoadResult, target: number) {
  const ratio = r.requestsPerSecond / bare.requestsPerSecond;
  return [
    row(`${label}: throughput`, `${fmt(r.flowsPerSecond)} flows/s = ${fmt(r.requestsPerSecond)} req/s`, {
      baseline: `bare Express ${fmt(bare.requestsPerSecond)} req/s`,
      ratio: fmtPct(ratio),
      target: `≥ ${fmtPct(target)} of bare`,
      met: ratio >= target,
    }),
    row(`${label}: latency p50 / p99`, `${fmtMs(r.latency.p50)} / ${fmtMs(r.latency.p99)}`, {
      baseline: `bare ${fmtMs(bare.latency.p50)} / ${fmtMs(bare.latency.p99)}`,
      ratio: `${fmt(r.latency.p99 / bare.latency.p99, 1)}× (p99)`,
      target: `p99 < ${P99_TARGET_MS} ms`,
      met: r.latency.p99 < P99_TARGET_MS,
    }),
    row(`${label}: errors`, `${fmt(r.errorCount)} in ${fmt(r.requests)} requests (${fmt(r.flowsCompleted)} flows)`, {
      baseline: `bare ${fmt(bare.errorCount)}`,
      target: '0',
      met: r.errorCount === 0 && r.flowsCompleted > 0,
    }),
  ];
}

moduleMain(import.meta.url, 'flows', measure);
