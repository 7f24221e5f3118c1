import type { WebClient } from '@slack/web-api';
import type { Config } from '../config/config-schema';
import type { Clock, EndpointInspector } from '../core/ports';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';
import type { CandidateRepository, ProductionRegistry } from '../deployments';
import type { RunRegistry } from '../training/run-registry';
import type { DeploymentEvents } from './plan-recorded-item';

/** What the outbox planner and sender need (a slice of BotDeps, plus the delivery client). */
export interface DeliveryContext {
  config: Config;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  client: WebClient;
  runs: RunRegistry;
  candidates: CandidateRepository;
  production: ProductionRegistry;
  inspector?: EndpointInspector;
  deploymentEvents: DeploymentEvents;
  /** This bot's Slack ids once the startup auth.test answered (findPostedMessage trusts only its own posts). */
  self?: () => { botId: string; botUserId: string } | undefined;
}

/** Delivery records and their run/alert bookkeeping live as long as recorded events. */
export const DELIVERY_TTL_MS = 7 * 24 * 60 * 60 * 1000;
