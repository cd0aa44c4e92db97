// The offline copy's bound (web/sw-cache.mjs): a new version of a file replaces the old ones, and
// the assets stay within their bytes, the oldest going first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { evictions } from "../sw-cache.mjs";

const e = (url, bytes) => ({ url, bytes });

test("a new version of a file replaces its older ones", () => {
  const kept = [e("/assets/a.jpg?v=1", 10), e("/assets/b.jpg?v=1", 10), e("/assets/a.jpg?v=2", 10)];
  assert.deepEqual(evictions(kept, 1000), ["/assets/a.jpg?v=1"]);
  // Unversioned and versioned are the same file.
  assert.deepEqual(evictions([e("/assets/p/1/f0_0.jpg", 5), e("/assets/p/1/f0_0.jpg?v=9", 5)], 1000), ["/assets/p/1/f0_0.jpg"]);
});

test("over the bound, the assets kept longest ago go first, until the rest fit", () => {
  const kept = [e("/assets/1.jpg?v=a", 40), e("/assets/2.jpg?v=a", 40), e("/assets/3.jpg?v=a", 40), e("/assets/4.jpg?v=a", 40)];
  assert.deepEqual(evictions(kept, 160), [], "within the bound: nothing goes");
  assert.deepEqual(evictions(kept, 100), ["/assets/1.jpg?v=a", "/assets/2.jpg?v=a"]);
  assert.deepEqual(evictions([e("/assets/huge.jpg?v=a", 500)], 100), [], "the one just kept stays");
  assert.deepEqual(evictions([], 100), []);
});
