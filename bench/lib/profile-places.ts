// Names for where a V8 profile's frames run, shared by the profile summaries (profile-summary.ts, survivors-summary.ts).

/** A V8 profile frame's URL as a place to read: its package, its `src/` file, or `(native)`. */
export function where(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 13).split('/').slice(0, url.includes('node_modules/@') ? 2 : 1).join('/');
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}
