/** The dashboard's only way to the service: its HTTP API, with the key the person signed in with. */

const KEY = 'nextbest.apiKey';

export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The field a 400 names (`field: message`), if any. */
  get field(): string | null {
    return /^([\w.[\]]+): /.exec(this.message)?.[1] ?? null;
  }
}

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** Sent when the service refuses the key: the app goes back to the sign-in form. */
export const SIGNED_OUT = 'nextbest:signed-out';

export async function api<T>(method: string, path: string, body?: unknown, key = apiKey.get()): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new RequestError(0, 'E_UNREACHABLE', 'the service does not answer: is `nextbest serve` running?');
  }
  const text = await response.text();
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = text || response.statusText;
    try {
      const parsed = JSON.parse(text) as {
        error?: { code?: string; message?: string; innerError?: { code?: string } };
      };
      code = parsed.error?.innerError?.code ?? parsed.error?.code ?? code;
      message = parsed.error?.message ?? message;
    } catch {
      // not JSON: keep the text
    }
    if (response.status === 401 && key === apiKey.get()) {
      apiKey.clear();
      window.dispatchEvent(new Event(SIGNED_OUT));
    }
    throw new RequestError(response.status, code, message);
  }
  const type = response.headers.get('content-type') ?? '';
  return (type.includes('application/json') ? JSON.parse(text) : text) as T;
}

export interface Estimate {
  value: number;
  lower: number;
  upper: number;
}

export interface Activity {
  from: string;
  to: string;
  bucketSeconds: number;
  live: { version: number; since: string };
  learningMode: string;
  explorationPercentage: number;
  range: {
    decisions: number;
    rewarded: number;
    rewardRate: number | null;
    ctr: number | null;
    exploration: number | null;
  };
  allTime: { events: number; rewards: number; sessions: number; from: string | null; to: string | null };
  series: {
    t: number[];
    decisions: number[];
    perMinute: number[];
    rewardRate: Array<number | null>;
    ctr: Array<number | null>;
    exploration: Array<number | null>;
    modelVersion: Array<number | null>;
  };
}

export interface RoundEvaluation {
  estimator: string;
  discount: number;
  holdout: { decisions: number; episodes: number };
  trainedEvents: number;
  candidate: Estimate;
  live: Estimate & { version: number };
  logged: Estimate;
  effectiveEpisodes: number;
  rule: string;
  promoted: boolean;
  reason: string;
}

export interface ModelVersion {
  version: number;
  createdAt: string;
  parent: number | null;
  state: 'candidate' | 'live' | 'retired' | 'rejected';
  source: string;
  trainedThrough: number;
  trainedEvents: number;
  evaluation: RoundEvaluation | null;
  promotedAt: string | null;
}

/** What POST /v1/models/train answers: a round's outcome. */
export interface TrainRound {
  status: 'trained' | 'idle' | 'busy';
  reason?: string;
  model?: ModelVersion;
  evaluation?: RoundEvaluation;
}

export interface DecisionSummary {
  seq: number;
  eventId: string;
  createdAt: string;
  sessionId?: string;
  step?: number;
  chosenId: string;
  propensity: number;
  explored: boolean;
  modelVersion: number;
  candidates: number;
  rewards: number[];
}

export interface ScoreTerm {
  kind: 'bias' | 'context' | 'action' | 'pair';
  name: string;
  value: number;
  weight: number;
  contribution: number;
}

export interface Explanation {
  eventId: string;
  createdAt: string;
  sessionId?: string;
  step?: number | null;
  modelVersion: number;
  explainedWith: number;
  note?: string;
  context: unknown[];
  candidates: Array<{ id: string; score: number; probability: number; chosen: boolean; excluded: boolean }>;
  chosenId: string;
  propensity: number;
  explored: boolean;
  runnerUpId: string | null;
  rewards: number[];
  reward: number | null;
  score: ScoreTerm[];
  sharedShift: number;
  versusRunnerUp: Array<{ kind: string; name: string; chosen: number; runnerUp: number; difference: number }>;
}

export interface Importance {
  modelVersion: number;
  decisions: number;
  features: Array<{
    feature: string;
    side: 'context' | 'action';
    importance: number;
    share: number;
    magnitude: number;
  }>;
}

export interface Report {
  path: string;
  title: string;
  modifiedAt: string;
  bytes: number;
}

/** One policy's counterfactual reward in an offline evaluation (Personalizer's policy result). */
export interface PolicyResult {
  name: string;
  arguments: string;
  policySource: 'Online' | 'Baseline' | 'Random' | 'Custom' | 'OfflineExperimentation';
  totalSummary: { averageReward: number; confidenceInterval: number; ipsEstimatorDenominator: number };
}

/** An offline evaluation (POST /personalizer/v1.0/evaluations) with NextBest's suggestion. */
export interface OfflineEvaluation {
  id: string;
  name: string;
  status: 'pending' | 'completed' | 'failed' | 'optimalPolicyApplied' | 'onlinePolicyRetained';
  creationTime: string;
  startTime: string;
  endTime: string;
  events?: number;
  policyResults?: PolicyResult[];
  suggestion?: {
    name: string;
    arguments: string;
    estimatedGain: number;
    gainInterval: [number, number];
    recommended: boolean;
  } | null;
  error?: { code: string; message: string };
}
