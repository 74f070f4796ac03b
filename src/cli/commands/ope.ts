import { accessSync, createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { SoftmaxPolicy } from '../../agents/bandits/softmax-policy.ts';
import { loadAgent } from '../../agents/create-agent.ts';
import { EngineError } from '../../core/engine-error.ts';
import type { Policy } from '../../core/types.ts';
import { offPolicyEvaluate, overlapDiagnostics } from '../../evaluation/ope/off-policy-evaluate.ts';
import { fitRewardModel } from '../../evaluation/ope/reward-model.ts';
import { intFlag, parseFlags } from '../args.ts';
import { formatTable } from '../table.ts';

export const opeHelp = `nextbest ope --logs rounds.jsonl --policy agent.json [--temperature T] [--epsilon E]
             [--estimators ips,snips,dr] [--max-weight W] [--resamples 500] [--seed 0] [--json]

Estimate how a saved policy would have done on logged bandit rounds, with 95% bootstrap intervals and
overlap diagnostics. One JSON object per line:
  {"context": [0.1, 2.0], "action": 3, "reward": 1, "propensity": 0.25}
optionally with "actionFeatures": [[...], ...] (one vector per candidate) and "mask": [1, 0, ...].
The policy acts greedily unless --temperature (softmax over its values) or --epsilon is given.`;

const roundSchema = z
  .object({
    context: z.array(z.number()),
    action: z.number().int().min(0),
    reward: z.number(),
    propensity: z.number().gt(0).max(1),
    actionFeatures: z.array(z.array(z.number())).optional(),
    mask: z.array(z.union([z.literal(0), z.literal(1)])).optional(),
  })
  .strict();
type Round = z.output<typeof roundSchema>;

async function readRounds(path: string): Promise<Round[]> {
  const rounds: Round[] = [];
  let line = 0;
  try {
    accessSync(path);
  } catch {
    throw new EngineError('E_FILE_NOT_FOUND', `cannot read logs '${path}'`, { path, hint: 'check the path' });
  }
  const stream = createReadStream(path, 'utf8');
  for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new EngineError('E_LOG_ROW_INVALID', `not JSON: ${(error as Error).message}`, {
        path: `${path}:${line}`,
        hint: 'one JSON object per line',
      });
    }
    const parsed = roundSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EngineError('E_LOG_ROW_INVALID', `${issue.path.join('.') || 'row'}: ${issue.message}`, {
        path: `${path}:${line}`,
        hint: 'fields: context (numbers), action (index), reward, propensity in (0, 1]; optional actionFeatures, mask',
      });
    }
    rounds.push(parsed.data);
  }
  if (rounds.length === 0) throw new EngineError('E_LOG_EMPTY', `no rounds in '${path}'`, { path });
  return rounds;
}

export async function runOpe(argv: string[]): Promise<number> {
  const f = parseFlags('ope', argv, {
    logs: { type: 'string' },
    policy: { type: 'string' },
    temperature: { type: 'string' },
    epsilon: { type: 'string' },
    estimators: { type: 'string' },
    'max-weight': { type: 'string' },
    resamples: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (f.help) {
    console.log(opeHelp);
    return 0;
  }
  if (!f.logs || !f.policy)
    throw new EngineError('E_USAGE', 'ope needs --logs and --policy', { hint: "run 'nextbest ope --help'" });
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(readFileSync(f.policy, 'utf8'));
  } catch {
    throw new EngineError('E_FILE_NOT_FOUND', `cannot read a policy snapshot from '${f.policy}'`, {
      path: f.policy,
      hint: 'pass a file written by nextbest train or agent.toJSON()',
    });
  }
  const agent = loadAgent(snapshot as never);
  const temperature = f.temperature === undefined ? undefined : Number(f.temperature);
  const epsilon = f.epsilon === undefined ? 0 : Number(f.epsilon);
  const policy: Policy | null =
    temperature !== undefined || epsilon > 0
      ? new SoftmaxPolicy(agent, { temperature: temperature ?? 1e-6, epsilon })
      : null;
  const rounds = await readRounds(f.logs);
  const d = rounds[0].context.length;
  // Rows must be wide enough for the logs and for the policy's own action space.
  const policySpace = (snapshot as { config?: { actionSpace?: { kind?: string; n?: number } } }).config
    ?.actionSpace;
  const policyActions = policySpace?.kind === 'discrete' ? (policySpace.n ?? 0) : 0;
  const actions = Math.max(
    policyActions,
    ...rounds.map((r) => r.actionFeatures?.length ?? r.mask?.length ?? 0),
    ...rounds.map((r) => r.action + 1),
  );
  const n = rounds.length;
  const targetProbabilities = new Float64Array(n * actions);
  rounds.forEach((r, i) => {
    if (r.context.length !== d)
      throw new EngineError(
        'E_LOG_ROW_INVALID',
        `context has ${r.context.length} values, the first row ${d}`,
        { path: `${f.logs}:${i + 1}` },
      );
    const observation = Float32Array.from(r.context);
    const options = {
      ...(r.actionFeatures ? { actionFeatures: r.actionFeatures.map((v) => Float32Array.from(v)) } : {}),
      ...(r.mask ? { actionMask: Uint8Array.from(r.mask) } : {}),
    };
    if (policy instanceof SoftmaxPolicy)
      targetProbabilities.set(policy.distribution(observation, options).subarray(0, actions), i * actions);
    else targetProbabilities[i * actions + agent.act(observation, { ...options, explore: false }).action] = 1;
  });
  const loggedActions = Int32Array.from(rounds, (r) => r.action);
  const rewards = Float64Array.from(rounds, (r) => r.reward);
  // Reward model: per-action intercept and per-action linear terms in the context, cross-fitted.
  const dimension = actions * (d + 1);
  const rewardEstimates = fitRewardModel({
    rounds: n,
    actions,
    dimension,
    features: (i, a, out) => {
      out.fill(0);
      out[a] = 1;
      const context = rounds[i].context;
      for (let j = 0; j < d; j++) out[actions + a * d + j] = context[j];
    },
    loggedActions,
    rewards,
    kind: rounds.every((r) => r.reward === 0 || r.reward === 1) ? 'logistic' : 'linear',
    folds: n >= 20 ? 2 : 1,
  });
  const input = {
    actions,
    loggedActions,
    rewards,
    loggingPropensities: Float64Array.from(rounds, (r) => r.propensity),
    targetProbabilities,
    rewardEstimates,
    ...(f.estimators ? { estimators: f.estimators.split(',').map((s) => s.trim()) } : {}),
    ...(f['max-weight'] ? { maxWeight: Number(f['max-weight']) } : {}),
    resamples: intFlag('resamples', f.resamples, 500, 10),
    seed: intFlag('seed', f.seed, 0),
  };
  const estimates = offPolicyEvaluate(input);
  const overlap = overlapDiagnostics(input);
  const logged = input.rewards.reduce((a, b) => a + b, 0) / n;
  if (f.json) {
    console.log(
      JSON.stringify({ rounds: n, actions, loggedPolicyValue: logged, estimates, overlap }, null, 2),
    );
    return 0;
  }
  console.log(
    `${n} logged rounds, ${actions} actions; logging policy's average reward ${logged.toFixed(4)}\n`,
  );
  console.log(
    formatTable(
      ['estimator', 'value', '95% CI low', '95% CI high'],
      Object.entries(estimates).map(([name, e]) => [
        name,
        e.value.toFixed(4),
        e.lower.toFixed(4),
        e.upper.toFixed(4),
      ]),
    ),
  );
  console.log(
    `\noverlap: effective sample size ${overlap.effectiveSampleSize.toFixed(0)} of ${n}, mean weight ${overlap.meanWeight.toFixed(3)}, max weight ${overlap.maxWeight.toFixed(2)}, ${overlap.zeroWeightRounds} rounds the policy never chooses`,
  );
  for (const warning of overlap.warnings) console.log(`warning: ${warning}`);
  return 0;
}
