// What the offline copy (sw.js) lets go of, as a plain function (tested in web/e2e/sw-cache.test.mjs).
//
// Assets are kept by URL, with their content version in it (?v=, src/server/versions.rs). When a
// file's new version is kept, its older versions go; and the assets together stay within a
// number of bytes, the ones kept longest ago going first.

/** The file an asset URL names, without its version. */
export const fileOf = (url) => url.split("?")[0];

/**
 * entries: the assets kept, [{url, bytes}], oldest first, the one just kept last. Returns the
 * URLs to delete: the other versions of the newest's file, then the oldest others until the
 * total is within `limit` bytes (the newest stays, even alone over it).
 */
export function evictions(entries, limit) {
  const newest = entries[entries.length - 1];
  const out = new Set();
  if (!newest) return [];
  for (const e of entries) if (e !== newest && fileOf(e.url) === fileOf(newest.url)) out.add(e.url);
  let total = 0;
  for (const e of entries) if (!out.has(e.url)) total += e.bytes;
  for (const e of entries) {
    if (total <= limit) break;
    if (e === newest || out.has(e.url)) continue;
    out.add(e.url);
    total -= e.bytes;
  }
  return [...out];
}
