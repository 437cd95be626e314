import { parseArgs } from 'node:util';
import path from 'node:path';
import { isMain, machineBusySeconds, nextMessage, ownTreeCpuSeconds, profileFlags, spawnTs } from './child.ts';

/** One line of the bench table. */
export interface Row {
  figure: string;
  value: string;
  /** What the figure is held against, measured in the same run ("—" when nothing is). */
  baseline: string;
  ratio: string;
  target: string;
  /** null: no target, or the figure could not be measured. */
  met: boolean | null;
}

export interface ModuleResult {
  module: string;
  rows: Row[];
  /** Raw figures behind the rows, kept in results/latest.json. */
  details: Record<string, unknown>;
  /** Findings worth a sentence under the table (what changes at scale, why a target was missed). */
  notes: string[];
  seconds: number;
  /** Cores other processes (not this bench) kept busy on average while the module ran: other work skews figures. */
  foreignCores?: number;
}

export interface BenchOptions {
  /** Seconds-long run with tiny sizes: proves the bench still works, measures nothing. */
  smoke: boolean;
  /** Write V8 CPU profiles of the processes under test here. */
  profileDir: string | null;
}

export type Measure = (options: BenchOptions) => Promise<Omit<ModuleResult, 'module' | 'seconds'>>;

export const NONE = '—';

export function row(figure: string, value: string, more: Partial<Omit<Row, 'figure' | 'value'>> = {}): Row {
  return { figure, value, baseline: NONE, ratio: NONE, target: NONE, met: null, ...more };
}

export function benchOptionsFromArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: { smoke: { type: 'boolean' }, profile: { type: 'string' } },
  });
  return { smoke: values.smoke === true, profileDir: typeof values.profile === 'string' ? values.profile : null };
}

/**
 * Each bench module is a file that exports its `measure` and, when run as a process of its own,
 * sends its result to the parent over IPC (or prints it when started by hand).
 */
export function moduleMain(moduleUrl: string, name: string, measure: Measure): void {
  if (!isMain(moduleUrl)) return;
  const options = benchOptionsFromArgs(process.argv.slice(2));
  const started = performance.now();
  measure(options).then(
    (result) => {
      const full: ModuleResult = { module: name, ...result, seconds: (performance.now() - started) / 1000 };
      if (process.send) process.send({ type: 'result', result: full }, () => process.exit(0));
      else {
        console.log(JSON.stringify(full, null, 2));
        process.exit(0);
      }
    },
    (err: unknown) => {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      if (process.send) process.send({ type: 'error', error: message }, () => process.exit(1));
      else {
        console.error(message);
        process.exit(1);
      }
    },
  );
}

/** Runs one bench module in a fresh process, so no module's heap or JIT state colours another's. */
export async function runModule(file: string, options: BenchOptions): Promise<ModuleResult> {
  const args = [...(options.smoke ? ['--smoke'] : []), ...(options.profileDir ? [`--profile=${options.profileDir}`] : [])];
  const busy0 = machineBusySeconds();
  const own0 = ownTreeCpuSeconds();
  const t0 = performance.now();
  const child = spawnTs(file, { args, execArgv: profileFlags(options.profileDir, `bench-${path.basename(file, '.ts')}`) });
  const { result } = await nextMessage<{ type: 'result'; result: ModuleResult }>(child, 'result');
  await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  const foreign = machineBusySeconds() - busy0 - (ownTreeCpuSeconds() - own0);
  return { ...result, foreignCores: Math.max(0, foreign / ((performance.now() - t0) / 1000)) };
}

/** Logs progress to stderr, so stdout carries only the table. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
