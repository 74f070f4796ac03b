/**
 * Online (weighted) ridge regression: A = λI + Σ w z zᵀ, b = Σ w r z, θ = A⁻¹ b. A⁻¹ is kept directly and
 * updated by the Sherman–Morrison formula, O(d²) per observation (Li et al. 2010 keep A; with A⁻¹ at hand
 * the UCB width zᵀA⁻¹z costs one product).
 */
export class RidgeModel {
  readonly inverse: Float64Array;
  readonly b: Float64Array;
  private readonly scratch: Float64Array;
  count = 0;

  constructor(
    readonly dimension: number,
    l2: number,
  ) {
    this.inverse = new Float64Array(dimension * dimension);
    for (let i = 0; i < dimension; i++) this.inverse[i * dimension + i] = 1 / l2;
    this.b = new Float64Array(dimension);
    this.scratch = new Float64Array(dimension);
  }

  /** Add one observation with weight w (importance weight for offline fitting; 1 online). */
  update(z: Float64Array, reward: number, weight = 1): void {
    const d = this.dimension;
    const u = this.scratch; // u = A⁻¹ z
    let denominator = 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.inverse[i * d + j] * z[j];
      u[i] = s;
      denominator += z[i] * s;
    }
    const factor = weight / (1 + weight * denominator);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) this.inverse[i * d + j] -= factor * u[i] * u[j];
    for (let i = 0; i < d; i++) this.b[i] += weight * reward * z[i];
    this.count++;
  }

  /** θ = A⁻¹ b. */
  coefficients(out = new Float64Array(this.dimension)): Float64Array {
    const d = this.dimension;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.inverse[i * d + j] * this.b[j];
      out[i] = s;
    }
    return out;
  }

  /** zᵀ A⁻¹ z: the squared width of the confidence ellipsoid along z. */
  width(z: Float64Array): number {
    const d = this.dimension;
    let total = 0;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += this.inverse[i * d + j] * z[j];
      total += z[i] * s;
    }
    return total;
  }

  /** Lower-triangular L with L Lᵀ = A⁻¹ (for Thompson sampling), jittered if needed. */
  choleskyOfInverse(): Float64Array {
    const d = this.dimension;
    const l = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      let s = this.inverse[j * d + j];
      for (let k = 0; k < j; k++) s -= l[j * d + k] ** 2;
      const diagonal = Math.sqrt(Math.max(s, 1e-12));
      l[j * d + j] = diagonal;
      for (let i = j + 1; i < d; i++) {
        let t = this.inverse[i * d + j];
        for (let k = 0; k < j; k++) t -= l[i * d + k] * l[j * d + k];
        l[i * d + j] = t / diagonal;
      }
    }
    return l;
  }

  toJSON(): { inverse: number[]; b: number[]; count: number } {
    return { inverse: [...this.inverse], b: [...this.b], count: this.count };
  }

  load(state: { inverse: number[]; b: number[]; count: number }): void {
    this.inverse.set(state.inverse);
    this.b.set(state.b);
    this.count = state.count;
  }
}
