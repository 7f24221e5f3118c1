import { randomUUID } from 'node:crypto';
import { recoveryActionFor, type DeploymentCandidate } from '../core/candidate-state-machine';
import { leasedJob, type LeaseTurn } from '../jobs/leased-job';
import type { DeploymentDeps, DeploymentService } from './deployment-service';
import type { DeployRecoveryJob } from './deployments-api';

export interface DeployRecoveryOptions {
  /**
   * How long a candidate may sit in `approved`, or in `deploying` without a confirmed trigger,
   * before recovery acts. Longer than one trigger call can take (SDK retries included), so a
   * live click is never raced; default 2 minutes.
   */
  graceMs?: number;
  /** Scan interval, default 30 s. */
  intervalMs?: number;
  /** Identifies this replica in the lease; default a random id. */
  instanceId?: string;
}

export type { DeployRecoveryJob };

const DEFAULT_GRACE_MS = 2 * 60_000;
const DEFAULT_INTERVAL_MS = 30_000;
/** A stop waits this long for a recovery action in flight (the bot's whole stop is bounded at 10 s). */
const STOP_WAIT_MS = 9_000;

/**
 * Crash safety of deployments: if a process died between a state change and the trigger, this
 * job (on whichever replica holds the lease) finishes it. A candidate left in `approved` continues
 * to the lock and the trigger; one left in `deploying` without a confirmed trigger is triggered
 * again with the SAME dag_run_id, which Airflow (409) and the trigger Lambda (already_triggered)
 * refuse to start twice. A deployment whose trigger outcome is unknown ("confirming") is settled
 * here too, at every scan, through the trigger's run state (DeploymentService.confirmInDoubt).
 * Register it with the bot's background jobs.
 */
export function deployRecovery(
  deps: DeploymentDeps,
  options: DeployRecoveryOptions,
  deployments: Pick<DeploymentService, 'continueDeployment' | 'confirmInDoubt' | 'retrigger'>,
): DeployRecoveryJob {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const log = deps.logger.child({ component: 'deploy-recovery' });

  async function scan(turn: LeaseTurn): Promise<void> {
    for (const model of Object.keys(deps.config.file.models)) {
      const candidates = (await deps.candidates.listByModel(model)) as DeploymentCandidate[];
      for (const c of candidates) {
        if (turn.stopping()) return;
        const action = recoveryActionFor(c, deps.clock.now(), graceMs);
        if (action === undefined) continue;
        // A replica that lost the lease stops: the new holder rescans.
        if (!(await turn.keep())) {
          log.warn('lost the deploy-recovery lease during a scan; stopping it');
          return;
        }
        const clog = log.child({ model: c.model, version: c.version, candidate: c.id, run: c.dagRunId });
        if (action === 'confirm')
          clog.info({ since: c.triggerDoubt?.since, checks: c.triggerDoubt?.checks }, 'confirming a deployment whose trigger outcome is unknown');
        else clog.warn({ state: c.state, action, idleSince: c.updatedAt }, 'recovering an interrupted deployment');
        try {
          const result =
            action === 'continue'
              ? await deployments.continueDeployment(c.id, clog, 'recovery')
              : action === 'confirm'
                ? await deployments.confirmInDoubt(c.id, clog)
                : await deployments.retrigger(c.id, clog);
          clog.info({ result: result.kind, action }, 'deployment recovery done');
        } catch (error) {
          clog.error({ err: error }, 'deployment recovery failed; will try again');
        }
      }
    }
  }

  return leasedJob<undefined>({
    name: 'deploy-recovery',
    store: deps.store,
    logger: deps.logger,
    holder: options.instanceId ?? randomUUID(),
    // One replica scans at a time; a scan outliving this is kept renewed by the job.
    leaseTtlMs: intervalMs * 3,
    intervalMs,
    // At startup: a restart after a crash recovers at once (after the grace).
    runAtStart: true,
    stopWaitMs: STOP_WAIT_MS,
    // A successor must not redo a trigger still running here.
    releaseAtStop: 'after-wait',
    idle: () => undefined,
    async pass(turn) {
      await scan(turn);
      return undefined;
    },
  });
}
