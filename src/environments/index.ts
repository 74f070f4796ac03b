export { AdsEnvironment, type AdsOptions, adsOptionsSchema, pacingPolicy } from './ads.ts';
export { CartPoleEnvironment, cartPoleOptionsSchema } from './cartpole.ts';
export {
  CHAIN_BACK,
  CHAIN_FORWARD,
  ChainEnvironment,
  type ChainOptions,
  chainOptionsSchema,
} from './chain.ts';
export {
  CRM_ACTIONS,
  CRM_STAGES,
  CrmEnvironment,
  type CrmOptions,
  crmOptionsSchema,
  crmPlaybookPolicy,
} from './crm.ts';
export { EcommerceEnvironment, type EcommerceOptions, ecommerceOptionsSchema } from './ecommerce.ts';
export {
  InventoryEnvironment,
  type InventoryOptions,
  inventoryOptionsSchema,
  sSPolicy,
} from './inventory.ts';
export { ItemHistoryEnvironment } from './item-history.ts';
export {
  createEnvironment,
  type EnvironmentFactory,
  listEnvironments,
  registerEnvironment,
} from './registry.ts';
