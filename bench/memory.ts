// Memory: resident set size of the server process after start, and after 100 k verification flows.
import { SERVER_NODE_FLAGS, startFlowRig } from './lib/flow-rig.ts';
import { type BenchOptions, type ModuleResult, moduleMain, progress, row } from './lib/report.ts';
import { fmt, fmtBytes } from './lib/stats.ts';

/** Issue 12: the server process after start, and its growth over the run. */
export const START_TARGET_BYTES = 100 * 1024 * 1024;
export const GROWTH_TARGET_BYTES = 30 * 1024 * 1024;
const CONNECTIONS = 50;

const FULL = { registryRows: 100_000, flows: 100_000, chunk: 10_000 };
const SMOKE = { registryRows: 2_000, flows: 400, chunk: 200 };

export async function measure(options: BenchOptions): Promise<Omit<ModuleResult, 'module' | 'seconds'>> {
  const size = options.smoke ? SMOKE : FULL;
  progress(`memory: starting a fresh server (registry of ${fmt(size.registryRows)})`);
  const rig = await startFlowRig({ registryRows: size.registryRows, profileDir: options.profileDir, label: 'memory', exposeGc: true });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const atStart = await rig.memory(false);
    const trail: { flows: number; rss: number; heapTotal: number; heapUsed: number }[] = [
      { flows: 0, rss: atStart.rss, heapTotal: atStart.heapTotal, heapUsed: atStart.heapUsed },
    ];
    let flows = 0;
    let errors = 0;
    while (flows < size.flows) {
      // Server-to-server flows: two requests each, the OTP through the fake SMS gateway.
      // A few flows of each chunk are still in flight when its last request is answered: ask for a little more.
      const result = await rig.run('server', (size.chunk + CONNECTIONS) * 2, CONNECTIONS);
      flows += result.flowsCompleted;
      errors += result.errorCount;
      if (result.flowsCompleted === 0) throw new Error('memory: no flow completed');
      const m = await rig.memory(false);
      trail.push({ flows, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed });
      progress(`memory: ${fmt(flows)} flows, RSS ${fmtBytes(m.rss)}, V8 heap ${fmtBytes(m.heapTotal)} (${fmtBytes(m.heapUsed)} used)`);
    }
    const after = await rig.memory(false);
    const afterGc = await rig.memory(true);
    const growth = after.rss - atStart.rss;
    // After the first chunk the JIT, SQLite's page cache and the pools are warm: growth past it is what accumulates.
    const warm = trail[1]!;
    const steadyPer100k = ((after.rss - warm.rss) / Math.max(1, flows - warm.flows)) * 100_000;
    const space = (bytes: number | undefined) => fmtBytes(bytes ?? 0);
    return {
      rows: [
        row('Server RSS after start', fmtBytes(atStart.rss), {
          target: `≤ ${fmtBytes(START_TARGET_BYTES)}`,
          met: atStart.rss <= START_TARGET_BYTES,
        }),
        row(`Server RSS after ${fmt(flows)} flows`, `${fmtBytes(after.rss)} (+${fmtBytes(growth)})`, {
          baseline: `after start ${fmtBytes(atStart.rss)}`,
          ratio: `${fmt(after.rss / atStart.rss, 2)}×`,
          target: `growth < ${fmtBytes(GROWTH_TARGET_BYTES)}`,
          met: growth < GROWTH_TARGET_BYTES && errors === 0,
        }),
        // What a leak would show: RSS still rising once the heap, the page cache and the pools are sized.
        row(`Server RSS from ${fmt(warm.flows)} to ${fmt(flows)} flows`, `${after.rss >= warm.rss ? '+' : '−'}${fmtBytes(Math.abs(after.rss - warm.rss))}`, {
          baseline: `after ${fmt(warm.flows)} flows ${fmtBytes(warm.rss)}`,
          ratio: `${fmt(after.rss / warm.rss, 2)}×`,
        }),
      ],
      notes: [
        `Memory: after ${fmt(warm.flows)} flows RSS was ${fmtBytes(warm.rss)}; from there to ${fmt(flows)} flows it grew ${fmtBytes(after.rss - warm.rss)} ` +
          `(${fmtBytes(steadyPer100k)} per 100 k flows once warm). V8 heap reserved ${fmtBytes(atStart.heapTotal)} → ${fmtBytes(after.heapTotal)} ` +
          `(+${fmtBytes(after.heapTotal - atStart.heapTotal)} of the +${fmtBytes(growth)} RSS; young generation ${space(atStart.spaces.new_space)} → ${space(after.spaces.new_space)}, ` +
          `old space ${space(atStart.spaces.old_space)} → ${space(after.spaces.old_space)}), live heap after a full GC ${fmtBytes(afterGc.heapUsed)} ` +
          `(${fmtBytes(atStart.heapUsed)} at start; RSS then ${fmtBytes(afterGc.rss)}).${errors ? ` ${errors} errors during the run.` : ''}` +
          (SERVER_NODE_FLAGS.length ? ` Server ran with ${SERVER_NODE_FLAGS.join(' ')}.` : ''),
      ],
      details: { atStart, after, afterGc, trail, flows, errors },
    };
  } finally {
    await rig.close();
  }
}

moduleMain(import.meta.url, 'memory', measure);
