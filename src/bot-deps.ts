import type { WebClient } from '@slack/web-api';
import type { Config } from './config/config-schema';
import type { WorkLimiter } from './core/create-work-limiter';
import type { Clock, DagTrigger, EndpointInspector, ModelRegistry } from './core/ports';
import type { Store } from './core/store';
import type { RecordEvent } from './pipeline-events/record-event';
import type { RecordMessage, UpdateMessage } from './outbox';
import type { Logger } from './observability/create-logger';
import type { Metrics } from './observability/create-metrics';
// The feature's leaf files (types only), not its index: the index re-exports modules that import BotDeps.
import type { AuditLog } from './deployments/audit-log';
import type { CandidateRepository } from './deployments/candidate-repository';
import type { Deployments } from './deployments/deployments-api';
import type { ProductionRegistry } from './deployments/production-registry';
import type { PrincipalResolver } from './slack/principal-resolver';
import type { RunRegistry } from './training/run-registry';

/** Everything listeners and services need, built once by createBot and passed in (no module state). */
export interface BotDeps {
  config: Config;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** Interactive Web API client (Bolt's). */
  slack: WebClient;
  /** Background delivery client: 429s come back at once (see create-slack-app.ts). */
  deliveryClient: WebClient;
  /** Undefined when the config file has no `trigger` section. */
  trigger?: DagTrigger;
  inspector?: EndpointInspector;
  /** The SageMaker Model Registry; set when a model has `modelPackageGroup` (contract 10). */
  modelRegistry?: ModelRegistry;
  recordEvent: RecordEvent;
  /** The bot's Slack ids from the startup auth.test, once it answered (undefined before). */
  slackIdentity?: () => { botId: string; botUserId: string } | undefined;
  /** Background messages (watchdog, `/mlops train`) into the outbox: posted exactly once, paced. */
  recordMessage: RecordMessage;
  /** Background chat.update of a message the bot posted, through the outbox: paced, latest content wins. */
  updateMessage: UpdateMessage;
  candidates: CandidateRepository;
  production: ProductionRegistry;
  audit: AuditLog;
  runs: RunRegistry;
  principals: PrincipalResolver;
  /** Bounds the work Slack listeners do after their ack (commands and button clicks share it). */
  postAckWork: WorkLimiter;
  /** The deployments feature, built once from the adapters above (src/deployments/index.ts). */
  deployments: Deployments;
}
