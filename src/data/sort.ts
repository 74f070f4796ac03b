/**
 * Sorting for columnar logs. A comparator sort of ten million indices takes seconds in V8; these
 * are O(n) radix and counting sorts over integer keys, stable, so they compose: sort by time, then
 * stably by user, and each user's events are in time order.
 */

/** Stable argsort of integer-valued keys (e.g. epoch milliseconds), LSD radix over 16-bit digits. */
export function argsortNumbers(keys: Float64Array, indices?: Int32Array): Int32Array {
  const n = indices ? indices.length : keys.length;
  let order = new Int32Array(n);
  if (indices) order.set(indices);
  else for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    const v = keys[order[k]];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = Math.round(max - min);
  // Keys relative to the minimum, split into 16-bit digits held as numbers (exact up to 2^53).
  const relative = new Float64Array(keys.length);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    relative[i] = Math.round(keys[i] - min);
  }
  let scratch = new Int32Array(n);
  const counts = new Int32Array(65537);
  for (let shift = 1; shift <= range; shift *= 65536) {
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[(Math.floor(relative[order[k]] / shift) % 65536) + 1]++;
    for (let d = 1; d <= 65536; d++) counts[d] += counts[d - 1];
    for (let k = 0; k < n; k++) {
      const i = order[k];
      scratch[counts[Math.floor(relative[i] / shift) % 65536]++] = i;
    }
    [order, scratch] = [scratch, order];
  }
  return order;
}

/** Stable counting sort of `order` by small non-negative integer group ids (users, sessions, items). */
export function stableSortByGroup(order: Int32Array, groups: Int32Array, groupCount: number): Int32Array {
  const counts = new Int32Array(groupCount + 1);
  for (let k = 0; k < order.length; k++) counts[groups[order[k]] + 1]++;
  for (let g = 1; g <= groupCount; g++) counts[g] += counts[g - 1];
  const out = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    out[counts[groups[i]]++] = i;
  }
  return out;
}
