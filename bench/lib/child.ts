import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface SpawnOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. ["--cpu-prof", "--cpu-prof-dir=…"]. */
  execArgv?: string[];
  /** Where the child's stdout goes: a file path, or inherit (our stderr, so stdout stays the table). */
  stdoutFile?: string;
}

/** Starts a file as its own Node process with an IPC channel: TypeScript under the tsx loader, JavaScript as it is. */
export function spawnTs(file: string, options: SpawnOptions = {}): ChildProcess {
  const out = options.stdoutFile ? fs.openSync(options.stdoutFile, 'a') : 2;
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(options.execArgv ?? []), ...loader, file, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', out, 'inherit', 'ipc'],
  });
  if (typeof out === 'number' && out !== 2) fs.closeSync(out);
  return child;
}

/** Resolves with the first IPC message of the given type; rejects if the child exits first. */
export function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs = 0): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onMessage = (message: unknown) => {
      const m = message as { type?: string; error?: string };
      if (m?.type === 'error') {
        cleanup();
        reject(new Error(`${path.basename(child.spawnargs.find((a) => /\.[jt]s$/.test(a)) ?? 'child')}: ${m.error}`));
      } else if (m?.type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`child ${child.spawnargs.slice(3).join(' ')} exited (${signal ?? code}) before sending "${type}"`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no "${type}" from child within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Asks a child to stop (IPC "stop", then SIGTERM) and waits for it to exit. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGTERM'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** True when this module file is the process's entry point. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(path.resolve(entry)).href === moduleUrl;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuSecondsOf(pid: number, thread?: number): number {
  try {
    const stat = fs.readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of /proc/pid/stat (utime, stime), counted after the ")" that ends the name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in bytes, from /proc (Linux); NaN elsewhere. */
export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Node flags for V8 CPU profiles of a process, in `<profileDir>/<name>/` (one file per thread; the main thread's has thread id 0). */
export function profileFlags(profileDir: string | null | undefined, name: string): string[] {
  if (!profileDir) return [];
  const dir = path.resolve(profileDir, name);
  fs.mkdirSync(dir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** CPU seconds all cores of the machine spent busy since boot, from /proc/stat (Linux); NaN elsewhere. */
export function machineBusySeconds(): number {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds this process and every child it has waited for have used (Linux); NaN elsewhere. */
export function ownTreeCpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14-17 of /proc/pid/stat.
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`; resolves once it exited. */
export async function terminate(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Resolves with the match once a line of `file` (where the child writes its stdout) matches
 * `pattern`; rejects if the child exits first or after `timeoutMs`. For children that announce
 * themselves on stdout, not over IPC (server/main.ts).
 */
export async function waitForLine(child: ChildProcess, file: string, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const match = pattern.exec(text);
    if (match) return match;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${path.basename(file)}: child exited (${child.signalCode ?? child.exitCode}) before printing ${pattern}; last lines:\n${text.split('\n').slice(-5).join('\n')}`);
    }
    if (performance.now() > until) throw new Error(`${path.basename(file)}: no line matching ${pattern} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every live process below `pid` (children, grandchildren…), from /proc (Linux); [] elsewhere. */
export function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (ppid), counted after the ")" that ends the name.
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we listed.
    }
  }
  const found: number[] = [];
  const below = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, parent] of parentOf) {
      if (below.has(parent) && !below.has(p)) {
        below.add(p);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}
