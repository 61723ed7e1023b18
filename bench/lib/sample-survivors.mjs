// A preload for keymint (`bench/hot-path.ts … --node-flag=--import=./bench/lib/sample-survivors.mjs`): V8's sampling
// heap profiler, keeping only objects that outlived a scavenge (those a full GC frees, and those still alive), from
// 7 s after start for 8 s, written to bench/profiles/survivors-<pid>.heapprofile. Read it with
// `npx tsx bench/survivors-summary.ts FILE`. Objects a request makes should die young; what shows here was kept.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

setTimeout(async () => {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: false,
  });
  setTimeout(async () => {
    const { profile } = await post('HeapProfiler.stopSampling');
    const directory = join(process.cwd(), 'bench', 'profiles');
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `survivors-${process.pid}.heapprofile`), JSON.stringify(profile));
  }, 8000);
}, 7000).unref();
