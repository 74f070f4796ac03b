import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { box, discrete } from '../core/spaces.ts';
import type { Decision, Environment, Policy, StepInfo, StepResult } from '../core/types.ts';
import calibration from './crm-calibration.json' with { type: 'json' };

export const CRM_ACTIONS = ['wait', 'email', 'call', 'meeting'] as const;
export const CRM_STAGES = ['cold', 'engaged', 'qualified', 'won', 'lost'] as const;
const [WAIT, EMAIL, CALL, MEETING] = [0, 1, 2, 3];

export const crmOptionsSchema = z
  .object({
    horizonDays: z.number().int().positive().default(90),
    /** Money per action (wait is free); goodwill costs come through fatigue. */
    costs: z
      .object({
        email: z.number().min(0).default(0.2),
        call: z.number().min(0).default(2),
        meeting: z.number().min(0).default(10),
      })
      .default({ email: 0.2, call: 2, meeting: 10 }),
    /** Deal value by company size (small, medium, large). */
    dealValues: z.array(z.number().positive()).length(3).default([80, 200, 500]),
    /** Daily chance that a qualified lead makes its decision (about two weeks on average). */
    decisionRate: z.number().gt(0).max(1).default(0.07),
    /**
     * Chance that a fully interested qualified lead signs when it decides (scaled by the calibrated
     * effects); otherwise it buys elsewhere and is lost.
     */
    closeRate: z.number().min(0).max(5).default(2),
    seed: z.number().int().min(0).default(0),
  })
  .strict();
export type CrmOptions = z.output<typeof crmOptionsSchema>;

// Calibrated effects (docs/crm-calibration.md): conversion relative to the reference group in the UCI
// Bank Marketing data. They are associations in observational data, used here as effect sizes.
const byContacts = calibration.byContactsInCampaign as Record<string, { rate: number }>;
const CONTACT_EFFECT = ['1', '2', '3', '4', '5', '6', '7', '8+'].map(
  (k) => byContacts[k].rate / byContacts['1'].rate,
);
const CHANNEL_EFFECT = {
  cellular: 1,
  telephone: calibration.byChannel.telephone.rate / calibration.byChannel.cellular.rate,
};
const PREVIOUS = ['nonexistent', 'failure', 'success'] as const;
const PREVIOUS_EFFECT = PREVIOUS.map(
  (k) => calibration.byPreviousOutcome[k].rate / calibration.byPreviousOutcome.nonexistent.rate,
);
const PREVIOUS_SHARE = PREVIOUS.map((k) => calibration.previousOutcomeShare[k]);

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const OBSERVATION_SIZE = 33;

interface Lead {
  region: number;
  industry: number;
  size: number;
  score: number;
  previous: number;
  cellular: boolean;
  dealValue: number;
}

/**
 * Next-best-action for a sales lead, one day per step over a 90-day episode. The agent can wait, email,
 * call or book a meeting. Actions cost money, and every contact adds fatigue: a tired lead stops opening,
 * stops answering, and may unsubscribe (lost). Stages run cold → engaged (an opened email or answered
 * call with enough interest) → qualified (a meeting held) → won (a signed deal: reward = deal value) or
 * lost. Calibrated from UCI Bank Marketing: conversion falls with the number of contacts in the campaign,
 * landline leads answer less than mobile ones, and a previous campaign's outcome shifts the odds.
 * Known good heuristic: the "email weekly, call after an open, meeting after an answered call" playbook.
 */
export class CrmEnvironment implements Environment {
  readonly id = 'crm';
  readonly observationSpace = box([OBSERVATION_SIZE], 0, 10);
  readonly actionSpace = discrete(CRM_ACTIONS.length);
  readonly options: CrmOptions;
  private rng: Rng;
  private lead!: Lead;
  private day = 0;
  private interest = 0;
  private fatigue = 0;
  private stage = 0;
  private contacts = 0;
  private daysSinceContact = 0;
  private daysSinceEmail = 99;
  /** The shop's own record of its recent contacts: +1 per contact, ×0.9 per day. */
  private recentContacts = 0;
  private history = { emails: 0, opened: 0, calls: 0, answered: 0, meetings: 0 };
  private lastOutcome: 'none' | 'opened' | 'answered' | 'meeting' = 'none';

  constructor(options: unknown = {}) {
    this.options = parseConfig(crmOptionsSchema, options, 'crm options');
    this.rng = new Rng(this.options.seed);
  }

  /** Visible state the playbook reads. */
  get lastContactOutcome(): 'none' | 'opened' | 'answered' | 'meeting' {
    return this.lastOutcome;
  }

  get daysSinceLastEmail(): number {
    return this.daysSinceEmail;
  }

  get stageName(): (typeof CRM_STAGES)[number] {
    return CRM_STAGES[this.stage];
  }

  private observe(): Float32Array {
    const o = new Float32Array(OBSERVATION_SIZE);
    const l = this.lead;
    o[l.region] = 1; // 0..3
    o[4 + l.industry] = 1; // 4..8
    o[9 + l.size] = 1; // 9..11
    o[12] = l.score;
    o[13 + l.previous] = 1; // 13..15
    o[16] = l.cellular ? 1 : 0;
    o[17] = Math.log1p(this.history.emails) / 3;
    o[18] = Math.log1p(this.history.opened) / 3;
    o[19] = Math.log1p(this.history.calls) / 3;
    o[20] = Math.log1p(this.history.answered) / 3;
    o[21] = this.history.meetings / 3;
    o[22] = Math.min(this.daysSinceContact, 30) / 30;
    o[23] = this.day / this.options.horizonDays;
    o[24 + Math.min(this.stage, 2)] = 1; // 24..26 (cold, engaged, qualified)
    // What yesterday's contact led to (27..29: opened, answered, meeting held), as the playbook reads it.
    const last = ['opened', 'answered', 'meeting'].indexOf(this.lastOutcome);
    if (last >= 0) o[27 + last] = 1;
    o[30] = Math.min(this.daysSinceEmail, 30) / 30;
    o[31] = Math.log1p(this.contacts) / 3;
    o[32] = this.recentContacts / 3;
    return o;
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    const r = this.rng;
    const size = r.categorical([0.6, 0.3, 0.1]);
    const previous = r.categorical(PREVIOUS_SHARE);
    const score = r.beta(2, 3);
    this.lead = {
      region: r.int(4),
      industry: r.int(5),
      size,
      score,
      previous,
      cellular: r.float() < calibration.cellularShare,
      dealValue: this.options.dealValues[size] * Math.exp(r.normal(0, 0.3)),
    };
    // Latent interest: the lead score is a noisy view of it; a previous campaign's outcome shifts it by
    // its calibrated effect (log rate ratio), as well as acting again at signing.
    const prior = 0.15 * Math.log(PREVIOUS_EFFECT[previous]);
    this.interest = Math.min(1, Math.max(0, score + prior + r.normal(0, 0.15)));
    this.fatigue = 0;
    this.stage = 0;
    this.day = 0;
    this.contacts = 0;
    this.daysSinceContact = 30;
    this.daysSinceEmail = 99;
    this.recentContacts = 0;
    this.history = { emails: 0, opened: 0, calls: 0, answered: 0, meetings: 0 };
    this.lastOutcome = 'none';
    return { observation: this.observe(), info: { stage: 'cold' } };
  }

  step(action: number): StepResult {
    if (!Number.isInteger(action) || action < 0 || action >= CRM_ACTIONS.length) {
      throw new EngineError(
        'E_ACTION_OUT_OF_RANGE',
        `crm has actions 0..3 (${CRM_ACTIONS.join(', ')}), got ${action}`,
      );
    }
    const o = this.options;
    const r = this.rng;
    let reward = 0;
    let outcome: string = 'none';
    this.lastOutcome = 'none';
    // The lead answers this contact as tired as the earlier ones left it; this one tires it for the next.
    const tired = this.fatigue;
    this.recentContacts *= 0.9;
    if (action !== WAIT) {
      this.contacts++;
      this.recentContacts++;
      // Contacting again soon after the last contact tires the lead more.
      this.fatigue +=
        (action === CALL ? 0.5 : action === MEETING ? 0.3 : 0.25) * (this.daysSinceContact < 3 ? 1.5 : 1);
      this.daysSinceContact = 0;
    } else {
      this.daysSinceContact++;
    }
    this.daysSinceEmail++;
    if (action === EMAIL) {
      reward -= o.costs.email;
      this.history.emails++;
      this.daysSinceEmail = 0;
      if (r.float() < sigmoid(-1.2 + 2.5 * this.interest - 1.5 * tired)) {
        this.history.opened++;
        this.lastOutcome = 'opened';
        outcome = 'opened';
        this.interest = Math.min(1, this.interest + 0.04);
        if (this.stage === 0 && r.float() < this.interest) this.stage = 1;
      }
    } else if (action === CALL) {
      reward -= o.costs.call;
      this.history.calls++;
      const reach = this.lead.cellular ? CHANNEL_EFFECT.cellular : CHANNEL_EFFECT.telephone;
      if (r.float() < 0.6 * reach * sigmoid(1 - 1.5 * tired)) {
        this.history.answered++;
        this.lastOutcome = 'answered';
        outcome = 'answered';
        this.interest = Math.min(1, this.interest + 0.1);
        if (this.stage === 0 && r.float() < 0.3 + this.interest) this.stage = 1;
      }
    } else if (action === MEETING) {
      if (this.stage >= 1 && r.float() < 0.8 * sigmoid(1.5 - tired)) {
        reward -= o.costs.meeting;
        this.history.meetings++;
        this.lastOutcome = 'meeting';
        outcome = 'meeting held';
        this.interest = Math.min(1, this.interest + 0.12);
        if (this.stage === 1 && r.float() < 0.4 + this.interest / 2) this.stage = 2;
      } else {
        // A cold lead declines a meeting request, and it costs goodwill.
        reward -= o.costs.meeting * 0.1;
        this.fatigue += 0.3;
        outcome = 'meeting declined';
      }
    }
    // Interest fades without contact; fatigue recovers over days.
    this.interest *= 0.995;
    this.fatigue *= 0.9;
    let won = false;
    let lost = false;
    if (action !== WAIT && r.float() < sigmoid(-6.5 + 3 * this.fatigue)) {
      lost = true;
      outcome = 'unsubscribed';
    } else if (this.stage === 2 && r.float() < o.decisionRate) {
      // The qualified lead decides: it signs, or it buys elsewhere.
      const contactEffect = CONTACT_EFFECT[Math.min(this.contacts, 8) - 1] ?? 1;
      const p = o.closeRate * this.interest * PREVIOUS_EFFECT[this.lead.previous] * contactEffect;
      if (r.float() < Math.min(0.95, p)) {
        won = true;
        reward += this.lead.dealValue;
        outcome = 'won';
      } else {
        lost = true;
        outcome = 'bought elsewhere';
      }
    }
    if (won) this.stage = 3;
    if (lost) this.stage = 4;
    this.day++;
    return {
      observation: this.observe(),
      reward,
      terminated: won || lost,
      truncated: !won && !lost && this.day >= o.horizonDays,
      info: {
        outcome,
        stage: CRM_STAGES[this.stage],
        won,
        lost,
        contacts: this.contacts,
        dealValue: this.lead.dealValue,
      },
    };
  }
}

/**
 * The typical sales playbook: email weekly, call the day after an email is opened, book a meeting after
 * an answered call.
 */
export function crmPlaybookPolicy(environment: CrmEnvironment): Policy {
  return {
    act(): Decision {
      const outcome = environment.lastContactOutcome;
      let action = WAIT;
      if (outcome === 'answered') action = MEETING;
      else if (outcome === 'opened') action = CALL;
      else if (environment.daysSinceLastEmail >= 7) action = EMAIL;
      return { action, propensity: 1 };
    },
  };
}
