// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by where the
// code lives (our server, a dependency, Node internals), so a missed target points at a cause.
//   node --import tsx bench/lib/cpuprofile.ts FILE.cpuprofile [--top 25] [--focus FUNCTION]...
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { isMain } from './child.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time not idle: what the process actually spent. Shares below are of this. */
  busyMs: number;
  byFunction: SelfTime[];
  byArea: SelfTime[];
  /** Time with the function anywhere on the stack (counted once per sample). */
  inclusive: SelfTime[];
}

/** Where a frame's code lives: a server/bench file, a package, Node itself, or V8 (GC, idle, program). */
function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:internal/deps/')) return `node:${url.slice(19).split('/')[0]}`;
  if (url.startsWith('node:internal/')) return `node:internal/${url.slice(14).split('/')[0]!.replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return url;
  const repo = /\/(server|protocol|verifier|bench)\/(.*)$/.exec(url);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return url;
}

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}@${n.callFrame.url}:${n.callFrame.lineNumber}`;
  const incl = new Map<string, SelfTime>();
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      const key = keyOf(n);
      if (seen.has(key) || n.callFrame.functionName === '(root)' || n.callFrame.functionName === '(idle)') continue;
      seen.add(key);
      const { functionName, url, lineNumber } = n.callFrame;
      const name = functionName || '(anonymous)';
      const e = incl.get(key) ?? { name, where: `${areaOf(url, name)}:${lineNumber + 1}`, ms: 0, share: 0 };
      e.ms += ms;
      incl.set(key, e);
    }
  });
  const fn = new Map<string, SelfTime>();
  const area = new Map<string, SelfTime>();
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = areaOf(url, functionName || '(anonymous)');
    const name = functionName || '(anonymous)';
    const fkey = `${name}@${url}:${lineNumber}`;
    const f = fn.get(fkey) ?? { name, where: `${where}:${lineNumber + 1}`, ms: 0, share: 0 };
    f.ms += ms;
    fn.set(fkey, f);
    const a = area.get(where) ?? { name: where, where, ms: 0, share: 0 };
    a.ms += ms;
    area.set(where, a);
  }
  const idleMs = area.get('(idle)')?.ms ?? 0;
  const busyMs = totalMs - idleMs;
  area.delete('(idle)');
  for (const [k, v] of fn) if (v.name === '(idle)') fn.delete(k);
  const rank = (m: Map<string, SelfTime>) =>
    [...m.values()]
      .map((e) => ({ ...e, share: e.ms / busyMs }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return { totalMs, busyMs, byFunction: rank(fn), byArea: rank(area), inclusive: rank(incl) };
}

/**
 * Where the time under a function goes: for every stack through a frame named `name`, the
 * sample is credited to that frame's child on the stack (or to the frame itself when it is the leaf).
 */
export function focus(profile: CpuProfile, name: string, top = 20): { totalMs: number; children: SelfTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const children = new Map<string, SelfTime>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    let child: ProfileNode | null = null;
    // The outermost frame with that name, so recursion is not counted twice.
    let hit: { node: ProfileNode; child: ProfileNode | null } | null = null;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (n.callFrame.functionName === name) hit = { node: n, child };
      child = n;
    }
    if (!hit) return;
    totalMs += ms;
    const c = hit.child ?? hit.node;
    const cname = hit.child ? c.callFrame.functionName || '(anonymous)' : '(self)';
    const key = `${cname}@${c.callFrame.url}:${c.callFrame.lineNumber}`;
    const e = children.get(key) ?? { name: cname, where: `${areaOf(c.callFrame.url, cname)}:${c.callFrame.lineNumber + 1}`, ms: 0, share: 0 };
    e.ms += ms;
    children.set(key, e);
  });
  const ranked = [...children.values()].map((e) => ({ ...e, share: e.ms / totalMs })).sort((a, b) => b.ms - a.ms).slice(0, top);
  return { totalMs, children: ranked };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const line = (e: SelfTime) => `${(e.share * 100).toFixed(1).padStart(5)} %  ${e.ms.toFixed(0).padStart(7)} ms  ${e.name}  ${e.name === e.where ? '' : e.where}`;
  return [
    `profiled ${s.totalMs.toFixed(0)} ms, busy (not idle) ${s.busyMs.toFixed(0)} ms; shares are of busy time`,
    'self time by area:',
    ...s.byArea.map(line),
    'self time by function:',
    ...s.byFunction.map(line),
    'inclusive time by function (on the stack):',
    ...s.inclusive.map(line),
  ].join('\n');
}

if (isMain(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, focus: { type: 'string', multiple: true } },
  });
  const top = Number(values.top ?? 25);
  for (const file of positionals) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    if (!values.focus) {
      console.log(`# ${file}\n${formatProfileSummary(summariseProfile(profile, top))}\n`);
      continue;
    }
    for (const name of values.focus) {
      const f = focus(profile, name, top);
      console.log(`# ${name}: ${f.totalMs.toFixed(0)} ms on the stack; by callee:`);
      for (const c of f.children) console.log(`${(c.share * 100).toFixed(1).padStart(5)} %  ${c.ms.toFixed(0).padStart(7)} ms  ${c.name}  ${c.where}`);
    }
  }
}
