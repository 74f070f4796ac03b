/**
 * A sum tree (and a min tree beside it) over `capacity` leaves: O(log n) priority updates and
 * prefix-sum sampling for proportional prioritised replay (Schaul et al. 2016, Appendix B.2.1).
 * Leaves live at [size, 2·size) of a binary heap layout; size is the next power of two.
 */
export class SumTree {
  private readonly size: number;
  private readonly sums: Float64Array;
  private readonly mins: Float64Array;

  constructor(readonly capacity: number) {
    let size = 1;
    while (size < capacity) size *= 2;
    this.size = size;
    this.sums = new Float64Array(2 * size);
    this.mins = new Float64Array(2 * size).fill(Number.POSITIVE_INFINITY);
  }

  get total(): number {
    return this.sums[1];
  }

  /** Smallest priority among leaves set so far (∞ when empty). */
  get min(): number {
    return this.mins[1];
  }

  get(index: number): number {
    return this.sums[this.size + index];
  }

  set(index: number, priority: number): void {
    if (!(priority >= 0) || !Number.isFinite(priority))
      throw new RangeError(`priority must be finite ≥ 0, got ${priority}`);
    let node = this.size + index;
    this.sums[node] = priority;
    this.mins[node] = priority;
    node >>= 1;
    while (node >= 1) {
      this.sums[node] = this.sums[2 * node] + this.sums[2 * node + 1];
      this.mins[node] = Math.min(this.mins[2 * node], this.mins[2 * node + 1]);
      node >>= 1;
    }
  }

  /** The leaf i such that Σ_{j<i} p_j ≤ mass < Σ_{j≤i} p_j (mass in [0, total)). */
  find(mass: number): number {
    let node = 1;
    while (node < this.size) {
      const left = 2 * node;
      if (mass < this.sums[left] || this.sums[left + 1] === 0) node = left;
      else {
        mass -= this.sums[left];
        node = left + 1;
      }
    }
    return Math.min(node - this.size, this.capacity - 1);
  }
}
