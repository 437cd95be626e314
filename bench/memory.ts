// Memory: resident set size of the server process after start, and its growth over 100 k
// verification flows once warm (the issue's measure: the JIT, SQLite's page cache and the heap
// are sized by a first 10 k flows, and what keeps growing past them is what a long run pays).
import { SERVER_NODE_FLAGS, startFlowRig } from './lib/flow-rig.ts';
import { type BenchOptions, type ModuleResult, moduleMain, progress, row } from './lib/report.ts';
import { fmt, fmtBytes } from './lib/stats.ts';

/** Issue 12: the server process after start, and its growth over 100 k flows after the warm-up. */
export const START_TARGET_BYTES = 100 * 1024 * 1024;
export const GROWTH_TARGET_BYTES = 30 * 1024 * 1024;
const CONNECTIONS = 50;

const FULL = { registryRows: 100_000, warmup: 10_000, flows: 100_000, chunk: 10_000 };
const SMOKE = { registryRows: 2_000, warmup: 200, flows: 400, chunk: 200 };

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
    let warm: (typeof trail)[number] | undefined;
    while (!warm || flows - warm.flows < size.flows) {
      // Server-to-server flows: two requests each, the OTP through the fake SMS gateway.
      // A few flows of each chunk are still in flight when its last request is answered: ask for a little more.
      const result = await rig.run('server', (size.chunk + CONNECTIONS) * 2, CONNECTIONS);
      flows += result.flowsCompleted;
      errors += result.errorCount;
      if (result.flowsCompleted === 0) throw new Error('memory: no flow completed');
      const m = await rig.memory(false);
      trail.push({ flows, rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed });
      progress(`memory: ${fmt(flows)} flows${warm ? '' : ' (warm-up)'}, RSS ${fmtBytes(m.rss)}, V8 heap ${fmtBytes(m.heapTotal)} (${fmtBytes(m.heapUsed)} used)`);
      if (!warm && flows >= size.warmup) warm = trail.at(-1)!;
    }
    const after = await rig.memory(false);
    const afterGc = await rig.memory(true);
    const fromStart = after.rss - atStart.rss;
    const growth = after.rss - warm.rss;
    const measured = flows - warm.flows;
    const space = (bytes: number | undefined) => fmtBytes(bytes ?? 0);
    return {
      rows: [
        row('Server RSS after start', fmtBytes(atStart.rss), {
          target: `≤ ${fmtBytes(START_TARGET_BYTES)}`,
          met: atStart.rss <= START_TARGET_BYTES,
        }),
        row(`Server RSS over ${fmt(measured)} flows after a ${fmt(warm.flows)}-flow warm-up`, `${growth >= 0 ? '+' : '−'}${fmtBytes(Math.abs(growth))}`, {
          baseline: `after the warm-up ${fmtBytes(warm.rss)}`,
          ratio: `${fmt(after.rss / warm.rss, 2)}×`,
          target: `growth < ${fmtBytes(GROWTH_TARGET_BYTES)}`,
          met: growth < GROWTH_TARGET_BYTES && errors === 0,
        }),
        // The warm-up's own growth: the JIT, SQLite's page cache (up to its 64 MB) and the V8 heap sizing themselves.
        row(`Server RSS after ${fmt(flows)} flows, from start`, `${fmtBytes(after.rss)} (+${fmtBytes(fromStart)})`, {
          baseline: `after start ${fmtBytes(atStart.rss)}`,
          ratio: `${fmt(after.rss / atStart.rss, 2)}×`,
        }),
      ],
      notes: [
        `Memory: after the ${fmt(warm.flows)}-flow warm-up RSS was ${fmtBytes(warm.rss)}; over the next ${fmt(measured)} flows it grew ${fmtBytes(growth)}. ` +
          `V8 heap reserved ${fmtBytes(atStart.heapTotal)} → ${fmtBytes(warm.heapTotal)} after the warm-up → ${fmtBytes(after.heapTotal)} ` +
          `(+${fmtBytes(after.heapTotal - atStart.heapTotal)} of the +${fmtBytes(fromStart)} RSS from start; young generation ${space(atStart.spaces.new_space)} → ${space(after.spaces.new_space)}, ` +
          `old space ${space(atStart.spaces.old_space)} → ${space(after.spaces.old_space)}), live heap after a full GC ${fmtBytes(afterGc.heapUsed)} ` +
          `(${fmtBytes(atStart.heapUsed)} at start; RSS then ${fmtBytes(afterGc.rss)}).${errors ? ` ${errors} errors during the run.` : ''}` +
          (SERVER_NODE_FLAGS.length ? ` Server ran with ${SERVER_NODE_FLAGS.join(' ')}.` : ''),
      ],
      details: { atStart, warm, after, afterGc, trail, flows, errors },
    };
  } finally {
    await rig.close();
  }
}

moduleMain(import.meta.url, 'memory', measure);
