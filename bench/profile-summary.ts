// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self time by function and by package.
// Usage: tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile [top] [--last SECONDS] [--callers NAME]
import { readFileSync } from 'node:fs';
import { where } from './lib/profile-places.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const [file, topArgument = '30'] = process.argv.slice(2).filter((argument, index, all) => !argument.startsWith('--') && !all[index - 1]?.startsWith('--'));
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArgument);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
// `--last S`: only the samples of the profile's last S seconds (the load, not the start-up before it).
const lastIndex = process.argv.indexOf('--last');
const lastMicros = lastIndex > 0 ? Number(process.argv[lastIndex + 1]) * 1e6 : Infinity;
const sampleTimes: number[] = [];
profile.timeDeltas.reduce((at, delta, index) => (sampleTimes[index] = at + delta), 0);
const endTime = sampleTimes.at(-1) ?? 0;
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, index) => {
  if (endTime - sampleTimes[index]! > lastMicros) return;
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const frame = byId.get(id)!.callFrame;
  const name = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  const place = where(frame.url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + micros);
}

// Native frames (a syscall, a C++ builtin) charged to the JS code that called them, so each package or
// source file shows all it costs; the VM's own entries — idle, GC, program — stay as they are.
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const byOwner = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  let at: number | undefined = id;
  while (at !== undefined && !byId.get(at)!.callFrame.url && parentOf.get(at) !== undefined && byId.get(parentOf.get(at)!)!.callFrame.url) {
    at = parentOf.get(at);
  }
  const frame = byId.get(at ?? id)!.callFrame;
  const owner = frame.url ? where(frame.url) : frame.functionName || '(native)';
  byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros);
}

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
print('self time by package / source file', byPlace);
print('self time by package / source file, native calls charged to their JS caller', byOwner);
print('self time by function', byFunction);

// `--callers NAME`: the call paths (3 frames up) that lead to a function's self time.
const callersIndex = process.argv.indexOf('--callers');
if (callersIndex > 0) {
  const wanted = process.argv[callersIndex + 1]!;
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const paths = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    if (byId.get(id)!.callFrame.functionName !== wanted) continue;
    const chain: string[] = [];
    for (let at = parent.get(id); at !== undefined && chain.length < 4; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      chain.push(`${frame.functionName || '(anonymous)'}@${where(frame.url)}:${frame.lineNumber + 1}`);
    }
    const key = chain.join(' < ');
    paths.set(key, (paths.get(key) ?? 0) + micros);
  }
  print(`callers of ${wanted}`, paths);
}
