import { EngineError } from '../core/engine-error.ts';
import type { Environment } from '../core/types.ts';
import { AdsEnvironment } from './ads.ts';
import { CartPoleEnvironment } from './cartpole.ts';
import { ChainEnvironment } from './chain.ts';
import { CrmEnvironment } from './crm.ts';
import { EcommerceEnvironment } from './ecommerce.ts';
import { InventoryEnvironment } from './inventory.ts';

export type EnvironmentFactory = (options?: unknown) => Environment;

const factories = new Map<string, EnvironmentFactory>([
  ['chain', (options) => new ChainEnvironment(options)],
  ['cartpole', (options) => new CartPoleEnvironment(options)],
  ['ecommerce', (options) => new EcommerceEnvironment(options)],
  ['inventory', (options) => new InventoryEnvironment(options)],
  ['ads', (options) => new AdsEnvironment(options)],
  ['crm', (options) => new CrmEnvironment(options)],
]);

export function registerEnvironment(id: string, factory: EnvironmentFactory): void {
  factories.set(id, factory);
}

export function listEnvironments(): string[] {
  return [...factories.keys()];
}

export function createEnvironment(id: string, options?: unknown): Environment {
  const factory = factories.get(id);
  if (!factory) {
    throw new EngineError('E_UNKNOWN_ENVIRONMENT', `unknown environment '${id}'`, {
      hint: `use one of: ${listEnvironments().join(', ')}, or registerEnvironment() your own`,
    });
  }
  return factory(options);
}
