// `npm run bench`: runs every bench module, each in a fresh process, and prints one table
// (figure, baseline measured in the same run, ratio, target, met?). The full run also writes
// bench/results/latest.md (table + machine) and latest.json (every raw figure).
//
//   npm run bench                      full run (about 17 minutes on 2 cores)
//   npm run bench -- --smoke           seconds-long run with tiny sizes: proves the benches work
//   npm run bench -- --only flows,registry
//   npm run bench -- --profile DIR     V8 CPU profiles of every process under test, in DIR
//                                      (summarise with: node --import tsx bench/lib/cpuprofile.ts FILE)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, isMain } from './lib/child.ts';
import { type BenchOptions, type ModuleResult, type Row, progress, runModule } from './lib/report.ts';
import { fmt } from './lib/stats.ts';

export const MODULES = ['flows', 'steps', 'memory', 'registry', 'signing', 'widget', 'pg-cost', 'scale', 'pg-import'] as const;
export type ModuleName = (typeof MODULES)[number];

/** Modules whose file is not named after them. */
const MODULE_FILES: Partial<Record<ModuleName, string>> = { 'pg-cost': 'pg-flow-cost' };

/** The file a module runs from. */
export function moduleFile(name: string): string {
  return path.join(REPO_ROOT, 'bench', `${MODULE_FILES[name as ModuleName] ?? name}.ts`);
}

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  os: string;
  node: string;
  commit: string;
  date: string;
}

export function machine(): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    // The results of an earlier run are not code: they do not make the commit "uncommitted".
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    // Not a git checkout: the figures still stand, without a commit to pin them to.
  }
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory: `${fmt(os.totalmem() / 1024 ** 3, 0)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit,
    date: new Date().toISOString(),
  };
}

/**
 * Chromium's helper processes are not all waited for by the bench (some are re-parented), so the
 * widget module's figure counts them as other processes: it is left out of the warning.
 */
const COUNTS_ITS_OWN_HELPERS = new Set(['widget']);

/** Other processes competed for the cores during some module (a tenth of a core is background noise). */
function busy(results: ModuleResult[]): number {
  return Math.max(0, ...results.filter((r) => !COUNTS_ITS_OWN_HELPERS.has(r.module)).map((r) => r.foreignCores ?? 0));
}

const MET = (met: boolean | null) => (met === null ? '—' : met ? 'yes' : '**no**');

/** The one table: Markdown, readable as it is in a terminal and rendered in the README. */
export function renderTable(results: ModuleResult[]): string {
  const rows: Row[] = results.flatMap((r) => r.rows);
  const header = ['figure', 'measured', 'baseline (same run)', 'ratio', 'target', 'met?'];
  const cells = rows.map((r) => [r.figure, r.value, r.baseline, r.ratio, r.target, MET(r.met)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

export function renderMachine(m: Machine): string {
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM, ${m.os}; Node ${m.node}; commit ${m.commit}; ${m.date}.`;
}

export function renderReport(results: ModuleResult[], m: Machine, smoke: boolean): string {
  const notes = results.flatMap((r) => r.notes);
  return [
    smoke ? '# KYC-VS bench (smoke run: tiny sizes, figures mean nothing)' : '# KYC-VS bench',
    '',
    renderTable(results),
    '',
    renderMachine(m),
    `Modules (seconds; cores used by other processes meanwhile): ${results
      .map(
        (r) =>
          `${r.module} ${fmt(r.seconds, 0)} s${r.foreignCores === undefined || Number.isNaN(r.foreignCores) ? '' : ` (${fmt(r.foreignCores, 2)}${COUNTS_ITS_OWN_HELPERS.has(r.module) ? ', Chromium included' : ''})`}`,
      )
      .join(', ')}.`,
    ...(busy(results) > 0.1
      ? [`**Other processes kept up to ${fmt(busy(results), 2)} of the ${m.cores} cores busy while measuring**: throughput figures are low; CPU per request is the steadier figure.`]
      : []),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { smoke: { type: 'boolean' }, only: { type: 'string' }, profile: { type: 'string' } },
  });
  const options: BenchOptions = { smoke: values.smoke === true, profileDir: values.profile ? path.resolve(values.profile) : null };
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...MODULES];
  const unknown = only.filter((m) => !(MODULES as readonly string[]).includes(m));
  if (unknown.length) throw new Error(`unknown module(s) ${unknown.join(', ')}; known: ${MODULES.join(', ')}`);

  const m = machine();
  const started = performance.now();
  const results: ModuleResult[] = [];
  for (const name of only) {
    progress(`— ${name} —`);
    results.push(await runModule(moduleFile(name), options));
  }
  const report = renderReport(results, m, options.smoke);
  process.stdout.write(`\n${report}`);
  progress(`done in ${fmt((performance.now() - started) / 1000, 0)} s`);

  // A partial or smoke run must not overwrite the full run's record.
  if (!options.smoke && only.length === MODULES.length) {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, 'latest.md'), report);
    fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify({ machine: m, results }, null, 2)}\n`);
    progress('written: bench/results/latest.md, bench/results/latest.json');
  }
  if (options.profileDir) progress(`CPU profiles in ${options.profileDir}; summarise one with: node --import tsx bench/lib/cpuprofile.ts FILE`);
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
