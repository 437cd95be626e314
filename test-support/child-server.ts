// The service as its own operating-system process, started as `npm run serve` starts it (plain
// JavaScript bundled from server/main.ts, no TypeScript loader), for tests that must kill it,
// signal it, read its memory or its real stdout/stderr. It listens on an ephemeral port of
// 127.0.0.1 and says where on stdout ("KYC-VS service: <url>").
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOnce } from '../scripts/build-server.ts';
import { type ApiResponse, type RequestOptions, request, waitFor } from './harness.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

let bundleDir: string | undefined;
/**
 * The bundle of the current source, in a directory of this test process's own (test files run in
 * parallel; dist/server/main.js may be older than the source under test).
 */
function serverBundle(): Promise<string> {
  if (!bundleDir) {
    // Inside the checkout: the bundle imports packages from node_modules by name.
    fs.mkdirSync(path.join(REPO_ROOT, 'dist'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(REPO_ROOT, 'dist', '.test-server-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    bundleDir = dir;
  }
  return bundleOnce(path.join(REPO_ROOT, 'server/main.ts'), path.join(bundleDir, 'main.js'));
}
const READY = /KYC-VS service: (http:\/\/\S+)/;

/** The same roomy limits as the in-process harness: a test about a quota sets its own knob. */
const ROOMY_LIMITS: Record<string, string> = {
  KYCVS_SMS_PER_MOBILE_HOUR: '100000',
  KYCVS_SMS_PER_IP_HOUR: '100000',
  KYCVS_SESSIONS_PER_IP_MINUTE: '100000',
  KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY: '100000',
};

export interface ChildServerOptions {
  /** Environment on top of the defaults (demo mode, data dir, roomy limits); `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Reuse a data dir (a restart); otherwise a fresh temp dir, removed by `cleanup()`. */
  dataDir?: string;
  /** Extra node flags, e.g. `--max-old-space-size=…`. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildServer {
  url: string;
  pid: number;
  dataDir: string;
  /** Every line the process wrote to stdout (pino's JSON log lines and the banner), and to stderr. */
  stdout: string[];
  stderr: string[];
  /** Resolves when the process has exited. */
  exited: Promise<ChildExit>;
  api<T = any>(method: string, urlPath: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** Resident set size of the server process, from /proc/<pid>/status. */
  rssBytes(): number;
  /** Sends a signal to this process (by its pid) and, for SIGKILL, waits for it to be gone. */
  kill(signal?: NodeJS.Signals): Promise<ChildExit>;
  /** SIGKILL if still running, then removes the data dir if this helper made it. */
  cleanup(): Promise<void>;
}

function linesOf(stream: NodeJS.ReadableStream, into: string[]): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    into.push(...parts.filter(Boolean));
  });
  stream.on('end', () => {
    if (pending) into.push(pending);
  });
}

/** Whether a request failed because the server's connection went away (a kill), not because the server answered wrongly. */
export function isCutOffByKill(err: unknown): boolean {
  return /fetch failed|ECONNRESET|ECONNREFUSED|socket/i.test(String((err as Error).message) + String((err as Error).cause ?? ''));
}

export async function spawnServer(options: ChildServerOptions = {}): Promise<ChildServer> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-child-'));
  // A clean environment: nothing of the test runner's (NODE_TEST_CONTEXT, NODE_OPTIONS) leaks in.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    TMPDIR: os.tmpdir(),
    PORT: '0',
    HOST: '127.0.0.1',
    KYCVS_DATA_DIR: dataDir,
    KYCVS_ISSUER: 'http://kycvs.test',
    KYCVS_DEMO: '1',
    LOG_LEVEL: 'info',
    // One process unless a test asks for more: what a test signals or kills is then the service itself.
    KYCVS_WORKERS: '1',
    ...ROOMY_LIMITS,
  };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), await serverBundle()], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  linesOf(child.stdout!, stdout);
  linesOf(child.stderr!, stderr);
  let exit: ChildExit | null = null;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });

  const pid = child.pid!;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<ChildExit> => {
    if (exit) return exit;
    process.kill(pid, signal);
    return exited;
  };

  let url: string;
  try {
    url = await waitFor(
      () => {
        if (exit) throw new Error(`the server exited (${JSON.stringify(exit)}) before listening:\n${stderr.join('\n')}\n${stdout.join('\n')}`);
        for (const line of stdout) {
          const m = READY.exec(line);
          if (m) return m[1]!;
        }
        return undefined;
      },
      { timeoutMs: options.startTimeoutMs ?? 30_000, intervalMs: 25, what: 'the server process to listen' },
    );
  } catch (err) {
    if (!exit) await kill('SIGKILL');
    if (ownsDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    pid,
    dataDir,
    stdout,
    stderr,
    exited,
    api: (method, urlPath, requestOptions) => request(url, method, urlPath, requestOptions),
    rssBytes() {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
      return Number(kb) * 1024;
    },
    kill,
    async cleanup() {
      if (!exit) await kill('SIGKILL');
      if (ownsDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
