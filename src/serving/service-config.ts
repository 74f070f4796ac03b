import { z } from 'zod';

/** ISO 8601 durations (PT10M, P1D, PT0.5S) or .NET time spans ([d.]hh:mm:ss), as Personalizer accepts. */
export function parseDuration(text: string): number | null {
  const iso =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(
      text,
    );
  if (iso && text !== 'P' && !text.endsWith('T')) {
    const [, d = '0', h = '0', m = '0', s = '0'] = iso;
    return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000;
  }
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (span) {
    const [, d = '0', h, m, s] = span;
    return ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1000;
  }
  return null;
}

const duration = (what: string) =>
  z.string().refine((v) => parseDuration(v) !== null, {
    message: `${what} must be an ISO 8601 duration such as PT10M or a time span such as 00:10:00`,
  });

/** Personalizer's service configuration (GET/PUT /configurations/service). */
export const serviceConfigSchema = z
  .object({
    rewardWaitTime: duration('rewardWaitTime'),
    defaultReward: z.number().finite(),
    rewardAggregation: z.enum(['earliest', 'sum']),
    explorationPercentage: z.number().min(0).max(1),
    modelExportFrequency: duration('modelExportFrequency'),
    logRetentionDays: z.number().int().min(-1),
    learningMode: z.enum(['Online', 'Apprentice', 'LoggingOnly']),
    logMirrorEnabled: z.boolean().optional(),
    logMirrorSasUri: z.string().optional(),
    isAutoOptimizationEnabled: z.boolean().optional(),
    autoOptimizationFrequency: duration('autoOptimizationFrequency').optional(),
    autoOptimizationStartDate: z.string().optional(),
    lastConfigurationEditDate: z.string().optional(),
  })
  .strict();

export type ServiceConfig = z.output<typeof serviceConfigSchema>;

export const DEFAULT_SERVICE_CONFIG: ServiceConfig = {
  rewardWaitTime: 'PT10M',
  defaultReward: 0,
  rewardAggregation: 'earliest',
  explorationPercentage: 0.2,
  modelExportFrequency: 'PT5M',
  logRetentionDays: 90,
  learningMode: 'Online',
  isAutoOptimizationEnabled: false,
};

/**
 * The ε a policy is served with: the exploration percentage in Online mode; none in Apprentice and
 * LoggingOnly, where the application's own choice is served. Off-policy judgements use it as well.
 */
export function servedEpsilon(
  service: Pick<ServiceConfig, 'learningMode' | 'explorationPercentage'>,
): number {
  return service.learningMode === 'Online' ? service.explorationPercentage : 0;
}
