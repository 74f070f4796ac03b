/**
 * Hit ratio and NDCG at k for one target among scored items, with ties broken uniformly at random
 * *in expectation*: the target ranks after every strictly better item and at a uniform position
 * among the items tied with it. A popularity model, which ties most of the catalogue, is then
 * neither flattered nor punished by an arbitrary tie order, and the result needs no seed.
 */
export interface TargetRank {
  /** Items scored strictly higher than the target. */
  better: number;
  /** Other items with exactly the target's score. */
  tied: number;
}

export function rankOf(scores: Float32Array | Float64Array, target: number): TargetRank {
  const s = scores[target];
  let better = 0;
  let tied = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (v > s) better++;
    else if (v === s) tied++;
  }
  return { better, tied: tied - 1 };
}

/** Expected HR@k: the chance the target lands in the top k. */
export function hitRatio(rank: TargetRank, k: number): number {
  if (rank.better >= k) return 0;
  return Math.min(1, (k - rank.better) / (rank.tied + 1));
}

/** Expected NDCG@k with one relevant item: mean of 1/log2(position + 1) over its possible positions. */
export function ndcg(rank: TargetRank, k: number): number {
  if (rank.better >= k) return 0;
  const last = Math.min(k, rank.better + rank.tied + 1);
  let sum = 0;
  for (let position = rank.better + 1; position <= last; position++) sum += 1 / Math.log2(position + 1);
  return sum / (rank.tied + 1);
}
