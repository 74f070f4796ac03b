/**
 * Layer normalisation over the last dimension (Ba et al. 2016): y = γ ⊙ (x − μ)/σ + β with
 * σ = √(var + ε). Plain loops over the heap's float view: rows are short (the model width).
 * Forward keeps x̂ and 1/σ per row for the backward pass.
 */
const EPSILON = 1e-5;

export function layerNormForward(
  f: Float32Array,
  out: number,
  x: number,
  xhat: number,
  rstd: number,
  gain: number,
  bias: number,
  rows: number,
  width: number,
): void {
  for (let r = 0; r < rows; r++) {
    const row = x + r * width;
    let mean = 0;
    for (let j = 0; j < width; j++) mean += f[row + j];
    mean /= width;
    let variance = 0;
    for (let j = 0; j < width; j++) {
      const d = f[row + j] - mean;
      variance += d * d;
    }
    const inv = 1 / Math.sqrt(variance / width + EPSILON);
    f[rstd + r] = inv;
    const hat = xhat + r * width;
    const y = out + r * width;
    for (let j = 0; j < width; j++) {
      const h = (f[row + j] - mean) * inv;
      f[hat + j] = h;
      f[y + j] = h * f[gain + j] + f[bias + j];
    }
  }
}

/**
 * dx = (1/σ)(d̂ − mean(d̂) − x̂ ⊙ mean(d̂ ⊙ x̂)) with d̂ = dy ⊙ γ; dγ += Σ dy ⊙ x̂, dβ += Σ dy.
 * `dx` is written (or added to when `accumulate`); it must not alias dy.
 */
export function layerNormBackward(
  f: Float32Array,
  dx: number,
  dy: number,
  xhat: number,
  rstd: number,
  gain: number,
  dGain: number,
  dBias: number,
  rows: number,
  width: number,
  accumulate: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const dyRow = dy + r * width;
    const hat = xhat + r * width;
    let meanD = 0;
    let meanDX = 0;
    for (let j = 0; j < width; j++) {
      const g = f[dyRow + j];
      const d = g * f[gain + j];
      meanD += d;
      meanDX += d * f[hat + j];
      f[dGain + j] += g * f[hat + j];
      f[dBias + j] += g;
    }
    meanD /= width;
    meanDX /= width;
    const inv = f[rstd + r];
    const dxRow = dx + r * width;
    for (let j = 0; j < width; j++) {
      const v = inv * (f[dyRow + j] * f[gain + j] - meanD - f[hat + j] * meanDX);
      f[dxRow + j] = accumulate ? f[dxRow + j] + v : v;
    }
  }
}
