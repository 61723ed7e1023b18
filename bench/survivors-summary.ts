// Where the objects in a survivors profile (bench/lib/sample-survivors.mjs) were allocated: by allocating function
// (self) and by keymint function on the stack (inclusive), as shares of the sampled bytes. Usage:
//   npx tsx bench/survivors-summary.ts bench/profiles/survivors-<pid>.heapprofile [rows]
import { readFileSync } from 'node:fs';
import { where } from './lib/profile-places.js';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const [file, rows = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: survivors-summary.ts FILE [rows]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;

function walk(node: ProfileNode, stack: string[]): void {
  const frame = node.callFrame;
  const name = `${frame.functionName || '(anonymous)'}  ${where(frame.url)}`;
  total += node.selfSize;
  self.set(name, (self.get(name) ?? 0) + node.selfSize);
  const here = [...stack, name];
  for (const entry of new Set(here)) inclusive.set(entry, (inclusive.get(entry) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child, here);
}
walk(profile.head, []);

const print = (title: string, entries: [string, number][]) => {
  console.log(title);
  for (const [name, bytes] of entries.sort((a, b) => b[1] - a[1]).slice(0, Number(rows))) {
    console.log(`${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} MB sampled`);
print('\nallocated in (self)', [...self]);
print('\nkeymint functions on the stack (inclusive)', [...inclusive].filter(([name]) => name.includes('  src/')));
