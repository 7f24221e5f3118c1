import { randomBytes, randomUUID } from 'node:crypto';
import type { FakeAws, FakeEndpointSpec } from './fake-aws-server';
import type { SandboxModel } from './sandbox-config';

/**
 * The pipeline of shared/PIPELINE.md, simulated: the bot's DAG trigger reaches the fake Lambda
 * (the real adapter, the real SDK client), and a run of a known DAG then reports back the way the
 * Airflow DAGs do, as signed events to the bot's /hooks/pipeline, over a few seconds. The fake
 * SageMaker endpoint and training jobs follow the run, so `/mlops status` and the bot's
 * enrichment read what the events say.
 */

export type NextRun = 'succeed' | 'fail' | 'silent' | 'slow' | 'degrade';
/** `degrade` (issue 14): a deployment that succeeds, then serves p99 ×3 and 5 % 5XX (the bake report says degraded). */
export const NEXT_RUN_KINDS: readonly NextRun[] = ['succeed', 'fail', 'silent', 'slow', 'degrade'];

export interface SimulatedRun {
  runId: string;
  dagId: string;
  model: string;
  kind: 'training' | 'deployment';
  /** As Airflow would say (the fake Lambda answers status reads with it). */
  state: 'queued' | 'running' | 'success' | 'failed';
  startedAt: string;
  behaviour: NextRun;
  version?: string;
}

export interface PipelineEventBody {
  id: string;
  type: string;
  model: string;
  timestamp: string;
  [field: string]: unknown;
}

export interface SimulatedPipeline {
  nextRun(): NextRun;
  /** How the next triggered DAG run behaves (then back to `succeed`). */
  setNextRun(next: NextRun): void;
  runs(): SimulatedRun[];
  /** The version the next training of `model` produces. */
  nextVersion(model: string): string;
  /** Remember a version (seeded history) so the next training goes past it. */
  noteVersion(model: string, version: string, metrics?: Record<string, number>): void;
  /** Plausible metrics for a candidate of `model`; `quality` < 0 makes it worse than production. */
  candidateMetrics(model: string, quality?: number): Record<string, number>;
  /** The events a DAG run sends, for the seeded history (same shapes as the simulated runs). */
  events: EventFactory;
  /** Stores the training job of a seeded run, as a simulated one stores its own. */
  recordTrainingJob(
    model: SandboxModel,
    name: string,
    startedAt: Date,
    endedAt: Date,
    outcome: { metrics: Record<string, number> } | { failure: string },
  ): void;
  /** The endpoint as SageMaker shows it with `version` live. */
  liveEndpoint(model: SandboxModel, version: string, at: Date): FakeEndpointSpec | undefined;
  onChange(listener: () => void): () => void;
  /** Cancels every pending step (runs stay where they are). */
  stop(): void;
}

export interface EventFactory {
  trainingStarted(model: SandboxModel, run: RunRef, version: string): PipelineEventBody;
  trainingSucceeded(model: SandboxModel, run: RunRef, version: string): PipelineEventBody;
  trainingFailed(model: SandboxModel, run: RunRef, version: string): PipelineEventBody;
  evaluationCompleted(model: SandboxModel, run: RunRef, version: string, metrics: Record<string, number>): PipelineEventBody;
  deployment(
    type: 'deployment.started' | 'deployment.succeeded' | 'deployment.failed',
    model: SandboxModel,
    run: RunRef,
    conf: DeploymentConf,
  ): PipelineEventBody;
}

export interface RunRef {
  dagId: string;
  runId: string;
}

interface DeploymentConf {
  version: string;
  endpoint?: string;
  candidateId?: string;
}

/** Step times of a succeeding run, in ms from the trigger; `slow` multiplies them. */
const STEPS = { started: 900, trained: 3200, evaluated: 4600, deployed: 3800, failed: 2800, killed: 6000 };
const SLOW_FACTOR = 4;

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const AIRFLOW_HOST = 'https://a1b2c3d4-sandbox.c2.us-east-1.airflow.amazonaws.com';

const TRAINING_FAILURES = [
  'AlgorithmError: ExecuteUserScriptError: Command "/usr/local/bin/python3.10 train.py --epochs 20" failed: ValueError: Input contains NaN, infinity or a value too large for dtype(\'float32\') (column "merchant_risk_score")',
  "ClientError: Failed to run training job: ResourceLimitExceeded: The account-level service limit 'ml.p3.2xlarge for training job usage' is 1 Instances, with current utilization of 1 Instances and a request delta of 1 Instances.",
];

function dashed(version: string): string {
  return version.replace(/\./g, '-');
}

function bumpMinor(version: string): string {
  const [major = 0, minor = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return `${major}.${minor + 1}.0`;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

export function createSimulatedPipeline(opts: {
  aws: FakeAws;
  models: readonly SandboxModel[];
  /** Posts one event to the bot's hook (signed); resolves with the HTTP status. */
  sendEvent: (event: PipelineEventBody) => Promise<number>;
  now: () => Date;
  random?: () => number;
  onError?: (error: unknown, what: string) => void;
}): SimulatedPipeline {
  const random = opts.random ?? Math.random;
  const runs: SimulatedRun[] = [];
  const versions = new Map<string, string>();
  const metricsOf = new Map<string, Record<string, number>>();
  const production = new Map<string, Record<string, number>>();
  const timers = new Set<NodeJS.Timeout>();
  const listeners = new Set<() => void>();
  let next: NextRun = 'succeed';
  let stopped = false;
  let failureIndex = 0;

  for (const model of opts.models) {
    production.set(model.name, { ...model.baseline });
    if (model.productionVersion !== undefined) versions.set(model.name, model.productionVersion);
  }

  const changed = (): void => {
    for (const listener of [...listeners]) listener();
  };
  const modelByDag = (dagId: string): { model: SandboxModel; kind: SimulatedRun['kind'] } | undefined => {
    for (const model of opts.models) {
      if (model.trainingDag === dagId) return { model, kind: 'training' };
      if (model.deploymentDag === dagId) return { model, kind: 'deployment' };
    }
    return undefined;
  };
  const round = (value: number, digits: number) => Number(value.toFixed(digits));
  const iso = () => opts.now().toISOString();

  /** One SageMaker training job per run: named when the run first mentions it, the same in every later event. */
  const jobNames = new Map<string, string>();
  function trainingJobName(model: SandboxModel, version: string, run: RunRef): string {
    const key = `${run.dagId}\u0000${run.runId}`;
    const name = jobNames.get(key) ?? `${model.name}-${dashed(version)}-${stamp(opts.now())}`.slice(0, 63);
    jobNames.set(key, name);
    return name;
  }
  function runUrl(run: RunRef): string {
    return `${AIRFLOW_HOST}/dags/${run.dagId}/grid?dag_run_id=${encodeURIComponent(run.runId)}`;
  }
  function logUrl(group: string, stream: string): string {
    const enc = (s: string) => encodeURIComponent(encodeURIComponent(s)).replace(/%/g, '$');
    return `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#logsV2:log-groups/log-group/${enc(group)}/log-events/${enc(stream)}`;
  }
  function base(type: string, model: SandboxModel, run: RunRef): PipelineEventBody {
    return { id: randomUUID(), type, model: model.name, timestamp: iso(), run: { ...run, url: runUrl(run) } };
  }

  const events: EventFactory = {
    trainingStarted: (model, run, version) => ({ ...base('training.started', model, run), trainingJob: trainingJobName(model, version, run) }),
    trainingSucceeded: (model, run, version) => ({ ...base('training.succeeded', model, run), version, trainingJob: trainingJobName(model, version, run) }),
    trainingFailed(model, run, version) {
      const job = trainingJobName(model, version, run);
      const message = TRAINING_FAILURES[failureIndex++ % TRAINING_FAILURES.length] ?? 'AlgorithmError';
      return {
        ...base('training.failed', model, run),
        trainingJob: job,
        error: { task: 'train_model', message, logUrl: logUrl('/aws/sagemaker/TrainingJobs', `${job}/algo-1-${Math.floor(opts.now().getTime() / 1000)}`) },
      };
    },
    evaluationCompleted(model, run, version, metrics) {
      const matrix = confusionMatrix(metrics);
      return {
        ...base('evaluation.completed', model, run),
        version,
        trainingJob: trainingJobName(model, version, run),
        metrics,
        ...(matrix !== undefined ? { confusionMatrix: matrix } : {}),
        ...(model.endpoint !== undefined ? { endpoint: model.endpoint } : {}),
        links: { dashboard: `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards/dashboard/${model.name}` },
        lineage: {
          commit: randomBytes(4).toString('hex').slice(0, 7),
          image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/mlops/${model.name}:${version}`,
          data: `s3://acme-ml-data/${model.name}/train/${iso().slice(0, 10)}/`,
        },
      };
    },
    deployment(type, model, run, conf) {
      return {
        ...base(type, model, run),
        version: conf.version,
        ...(conf.endpoint !== undefined ? { endpoint: conf.endpoint } : {}),
        ...(conf.candidateId !== undefined ? { candidate_id: conf.candidateId } : {}),
        ...(type === 'deployment.failed'
          ? {
              error: {
                task: 'update_endpoint',
                message: `UpdateEndpoint failed: the new variant ${model.name}-${dashed(conf.version)} did not pass its health check (ping returned HTTP 500); SageMaker rolled back to the previous configuration`,
                logUrl: logUrl(`/aws/sagemaker/Endpoints/${conf.endpoint ?? model.name}`, `AllTraffic/i-0${randomBytes(8).toString('hex')}`),
              },
            }
          : {}),
      };
    },
  };

  /** A binary classifier's matrix consistent with its precision and recall (10,000 holdout rows, 4 % positive). */
  function confusionMatrix(metrics: Record<string, number>): { labels: string[]; matrix: number[][] } | undefined {
    const { precision, recall } = metrics;
    if (precision === undefined || recall === undefined || precision <= 0) return undefined;
    const positives = 400;
    const tp = Math.round(recall * positives);
    const fp = Math.round(tp / precision - tp);
    return {
      labels: ['legit', 'fraud'],
      matrix: [
        [10_000 - positives - fp, fp],
        [positives - tp, tp],
      ],
    };
  }

  function candidateMetrics(modelName: string, quality = 1): Record<string, number> {
    const model = opts.models.find((m) => m.name === modelName);
    const prod = production.get(modelName) ?? model?.baseline ?? {};
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(prod)) {
      // Mostly a little better than production; `quality` < 0 turns it around.
      const delta = (0.004 + random() * 0.022) * quality - random() * 0.006;
      if (model?.minimize.includes(name) === true) out[name] = round(Math.max(0, value * (1 - delta * 2)), value > 10 ? 1 : 3);
      else out[name] = round(Math.min(0.999, Math.max(0, value + delta)), 3);
    }
    return out;
  }

  function liveEndpoint(model: SandboxModel, version: string, at: Date): FakeEndpointSpec | undefined {
    if (model.endpoint === undefined) return undefined;
    return {
      name: model.endpoint,
      status: 'InService',
      configName: `${model.endpoint}-config-${dashed(version)}`,
      createdAt: new Date(at.getTime() - 40 * 24 * 3600 * 1000),
      lastModified: at,
      variants: [
        {
          name: 'AllTraffic',
          model: `${model.name}-${dashed(version)}`,
          instanceType: model.instanceType ?? 'ml.m5.large',
          instanceCount: 2,
          initialWeight: 1,
        },
      ],
    };
  }

  function noteVersion(model: string, version: string, metrics?: Record<string, number>): void {
    const known = versions.get(model);
    if (known === undefined || compareVersions(version, known) > 0) versions.set(model, version);
    if (metrics !== undefined) metricsOf.set(`${model}@${version}`, metrics);
  }

  /** Runs `step` after `ms` unless the simulation stopped; a failing step is reported, not thrown. */
  function after(ms: number, what: string, step: () => Promise<void> | void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      Promise.resolve()
        .then(step)
        .then(changed)
        .catch((error: unknown) => opts.onError?.(error, what));
    }, ms);
    timers.add(timer);
  }

  async function send(event: PipelineEventBody): Promise<void> {
    const status = await opts.sendEvent(event);
    if (status >= 300) throw new Error(`the bot answered ${status} to ${event.type}`);
  }

  function setState(run: SimulatedRun, state: SimulatedRun['state']): void {
    run.state = state;
    opts.aws.lambda.setRunState(run.dagId, run.runId, state);
  }

  /** The training job as SageMaker's DescribeTrainingJob shows it (the bot adds its duration and instance to messages). */
  function recordTrainingJob(
    model: SandboxModel,
    name: string,
    startedAt: Date,
    endedAt: Date,
    outcome: { metrics: Record<string, number> } | { failure: string },
  ): void {
    const failed = 'failure' in outcome;
    opts.aws.sagemaker.setTrainingJob({
      TrainingJobName: name,
      TrainingJobArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${name}`,
      TrainingJobStatus: failed ? 'Failed' : 'Completed',
      SecondaryStatus: failed ? 'Failed' : 'Completed',
      ...(failed ? { FailureReason: outcome.failure } : {}),
      CreationTime: startedAt,
      TrainingStartTime: new Date(startedAt.getTime() + 500),
      TrainingEndTime: endedAt,
      LastModifiedTime: endedAt,
      BillableTimeInSeconds: Math.max(1, Math.round((endedAt.getTime() - startedAt.getTime()) / 1000)),
      AlgorithmSpecification: { TrainingImage: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/mlops/${model.name}:latest`, TrainingInputMode: 'File' },
      ResourceConfig: { InstanceType: failed ? 'ml.p3.2xlarge' : (model.instanceType ?? 'ml.m5.xlarge'), InstanceCount: 1, VolumeSizeInGB: 30 },
      ...('metrics' in outcome
        ? {
            FinalMetricDataList: Object.entries(outcome.metrics).map(([metric, value]) => ({
              MetricName: `validation:${metric}`,
              Value: value,
              Timestamp: endedAt,
            })),
          }
        : {}),
    });
  }

  function simulateTraining(run: SimulatedRun, model: SandboxModel): void {
    const f = run.behaviour === 'slow' ? SLOW_FACTOR : 1;
    const ref = { dagId: run.dagId, runId: run.runId };
    const version = nextVersion(model.name);
    run.version = version;
    noteVersion(model.name, version);
    if (run.behaviour === 'silent') {
      // The worker is killed (OOM): Airflow marks the run failed and no callback ever runs.
      after(STEPS.started, 'silent start', () => setState(run, 'running'));
      after(STEPS.killed, 'silent kill', () => setState(run, 'failed'));
      return;
    }
    after(STEPS.started * f, 'training.started', async () => {
      setState(run, 'running');
      await send(events.trainingStarted(model, ref, version));
    });
    if (run.behaviour === 'fail') {
      after(STEPS.failed * f, 'training.failed', async () => {
        const event = events.trainingFailed(model, ref, version);
        recordTrainingJob(model, String(event.trainingJob), new Date(Date.parse(run.startedAt)), opts.now(), {
          failure: (event.error as { message: string }).message,
        });
        setState(run, 'failed');
        await send(event);
      });
      return;
    }
    const metrics = candidateMetrics(model.name);
    after(STEPS.trained * f, 'training.succeeded', async () => {
      const event = events.trainingSucceeded(model, ref, version);
      recordTrainingJob(model, String(event.trainingJob), new Date(Date.parse(run.startedAt)), opts.now(), { metrics });
      await send(event);
    });
    after(STEPS.evaluated * f, 'evaluation.completed', async () => {
      noteVersion(model.name, version, metrics);
      setState(run, 'success');
      await send(events.evaluationCompleted(model, ref, version, metrics));
    });
  }

  function simulateDeployment(run: SimulatedRun, model: SandboxModel, conf: Record<string, unknown>): void {
    const f = run.behaviour === 'slow' ? SLOW_FACTOR : 1;
    const ref = { dagId: run.dagId, runId: run.runId };
    const version = typeof conf['version'] === 'string' ? conf['version'] : nextVersion(model.name);
    const endpoint = typeof conf['endpoint'] === 'string' ? conf['endpoint'] : model.endpoint;
    const candidateId = typeof conf['candidate_id'] === 'string' ? conf['candidate_id'] : undefined;
    const deployConf = { version, ...(endpoint !== undefined ? { endpoint } : {}), ...(candidateId !== undefined ? { candidateId } : {}) };
    run.version = version;
    const live = opts.aws.sagemaker;
    let previous: FakeEndpointSpec | undefined;
    after(STEPS.started * f, 'deployment.started', async () => {
      setState(run, 'running');
      previous = currentEndpoint(model);
      if (previous !== undefined) live.setEndpoint({ ...previous, status: 'Updating', lastModified: opts.now() });
      if (run.behaviour !== 'silent') await send(events.deployment('deployment.started', model, ref, deployConf));
    });
    // A canary or linear strategy (conf.strategy, issue 14) reports its traffic shifts between start and success.
    const strategy = typeof conf['strategy'] === 'object' && conf['strategy'] !== null ? (conf['strategy'] as Record<string, unknown>) : {};
    const shifts =
      strategy['type'] === 'canary'
        ? [Number(strategy['trafficPercent'] ?? 10), 100]
        : strategy['type'] === 'linear'
          ? Array.from({ length: Math.ceil(100 / Number(strategy['stepPercent'] ?? 25)) }, (_, i) =>
              Math.min(100, (i + 1) * Number(strategy['stepPercent'] ?? 25)),
            )
          : [];
    if (run.behaviour !== 'silent' && run.behaviour !== 'fail') {
      shifts.forEach((trafficPercent, i) => {
        const at = STEPS.started + ((STEPS.deployed - STEPS.started) * (i + 1)) / (shifts.length + 1);
        after(at * f, 'deployment.progress', async () => {
          const body = events.deployment('deployment.started', model, ref, deployConf);
          const bakingUntil = new Date(opts.now().getTime() + ((STEPS.deployed - STEPS.started) / (shifts.length + 1)) * f).toISOString();
          await send({ ...body, type: 'deployment.progress', progress: { trafficPercent, step: i + 1, steps: shifts.length, bakingUntil } });
        });
      });
    }
    if (run.behaviour === 'silent') {
      after(STEPS.killed * f, 'silent deployment', () => {
        if (previous !== undefined) live.setEndpoint({ ...previous, status: 'InService' });
        setState(run, 'failed');
      });
      return;
    }
    after((run.behaviour === 'fail' ? STEPS.failed : STEPS.deployed) * f, run.behaviour === 'fail' ? 'deployment.failed' : 'deployment.succeeded', async () => {
      if (run.behaviour === 'fail') {
        if (previous !== undefined) live.setEndpoint({ ...previous, status: 'InService' });
        setState(run, 'failed');
        await send(events.deployment('deployment.failed', model, ref, deployConf));
        return;
      }
      // A shadow (issue 14) joins the production variant as ShadowProductionVariants with its own series
      // (so Compare now shows figures); Stop shadow removes it; Promote shadow makes it the production variant.
      if ((strategy['type'] === 'shadow' || strategy['type'] === 'stop-shadow') && previous !== undefined) {
        const { shadowVariants: _replaced, ...production } = previous;
        if (strategy['type'] === 'stop-shadow') live.setEndpoint({ ...production, status: 'InService' });
        else publishShadow(model, production, version, Number(strategy['samplePercent'] ?? 50), run.behaviour === 'degrade');
        setState(run, 'success');
        await send(events.deployment('deployment.succeeded', model, ref, deployConf));
        return;
      }
      const spec = liveEndpoint(model, version, opts.now());
      if (spec !== undefined) {
        live.setEndpoint(spec);
        publishEndpointMetrics(model, opts.now().getTime());
        // The next healthy release serves normally again (the fake's own default p99 and no 5XX).
        publishDegradation(model, run.behaviour === 'degrade' ? opts.now().getTime() : Number.POSITIVE_INFINITY);
      }
      production.set(model.name, metricsOf.get(`${model.name}@${version}`) ?? production.get(model.name) ?? {});
      setState(run, 'success');
      await send(events.deployment('deployment.succeeded', model, ref, deployConf));
    });
  }

  function currentEndpoint(model: SandboxModel): FakeEndpointSpec | undefined {
    return model.endpoint === undefined ? undefined : opts.aws.sagemaker.endpoint(model.endpoint);
  }

  /** CloudWatch answers for the endpoint: steady traffic, a latency that differs a little per release. */
  function publishEndpointMetrics(model: SandboxModel, seed: number): void {
    if (model.endpoint === undefined) return;
    const shift = seed % 7;
    opts.aws.cloudwatch.setSeries({ metricName: 'Invocations', endpoint: model.endpoint }, (i) => 180 + ((i * 11 + shift) % 23));
    opts.aws.cloudwatch.setSeries({ metricName: 'ModelLatency', stat: 'Average', endpoint: model.endpoint }, (i) => 18_000 + ((i * 13 + shift) % 9) * 150);
  }
  for (const model of opts.models) publishEndpointMetrics(model, 0);

  /** From `fromMs` on, the endpoint's p99 triples and 5 % of its invocations fail (a canary that degrades). */
  function publishDegradation(model: SandboxModel, fromMs: number): void {
    if (model.endpoint === undefined) return;
    const after = (atSeconds: number) => atSeconds * 1000 >= fromMs;
    opts.aws.cloudwatch.setSeries({ metricName: 'ModelLatency', stat: 'p99', endpoint: model.endpoint }, (i, at) =>
      after(at) ? 150_000 : 45_000 + ((i * 37) % 11) * 500,
    );
    opts.aws.cloudwatch.setSeries({ metricName: 'Invocation5XXErrors', endpoint: model.endpoint }, (_i, at) => (after(at) ? 10 : 0));
  }

  /**
   * The endpoint with a shadow variant `shadow-<version>` beside its production variant, and that
   * variant's series: `samplePercent` of production's invocations, p50 / p99 a little above
   * production's (with 'degrade': p99 ×3 and 5 % 5XX).
   */
  function publishShadow(model: SandboxModel, production: FakeEndpointSpec, version: string, samplePercent: number, degrade: boolean): void {
    if (model.endpoint === undefined) return;
    const variant = `shadow-${dashed(version)}`;
    opts.aws.sagemaker.setEndpoint({
      ...production,
      status: 'InService',
      lastModified: opts.now(),
      shadowVariants: [
        { name: variant, model: `${model.name}-${dashed(version)}`, instanceType: model.instanceType ?? 'ml.m5.large', instanceCount: 1, initialWeight: 1 },
      ],
    });
    const key = (metricName: string, stat?: string) => ({ metricName, ...(stat !== undefined ? { stat } : {}), endpoint: model.endpoint, variant });
    const share = Math.max(0, Math.min(100, samplePercent)) / 100;
    opts.aws.cloudwatch.setSeries(key('Invocations'), (i) => Math.round((180 + ((i * 11) % 23)) * share));
    opts.aws.cloudwatch.setSeries(key('ModelLatency', 'p50'), (i) => 17_000 + ((i * 13) % 9) * 150);
    opts.aws.cloudwatch.setSeries(key('ModelLatency', 'p99'), (i) => (degrade ? 150_000 : 49_000 + ((i * 37) % 11) * 500));
    opts.aws.cloudwatch.setSeries(key('Invocation5XXErrors'), () => (degrade ? Math.round(9 * share) : 0));
  }

  function nextVersion(model: string): string {
    const known = versions.get(model);
    return known === undefined ? '1.0.0' : bumpMinor(known);
  }

  opts.aws.lambda.onInvoke((payload) => {
    const p = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
    const dagId = typeof p['dag_name'] === 'string' ? p['dag_name'] : undefined;
    const runId = typeof p['dag_run_id'] === 'string' ? p['dag_run_id'] : undefined;
    // Status reads and retried triggers: the fake Lambda's own answer (it knows the run's state).
    if (p['action'] !== undefined || dagId === undefined || runId === undefined) return undefined;
    if (opts.aws.lambda.runs().some((r) => r.dagId === dagId && r.dagRunId === runId)) return undefined;
    const target = modelByDag(dagId);
    if (target === undefined) return undefined;
    const conf = typeof p['conf'] === 'object' && p['conf'] !== null ? (p['conf'] as Record<string, unknown>) : {};
    const run: SimulatedRun = { runId, dagId, model: target.model.name, kind: target.kind, state: 'queued', startedAt: iso(), behaviour: next };
    next = 'succeed';
    runs.push(run);
    // After this answer: the fake Lambda stores the run as queued, then the DAG "starts".
    if (target.kind === 'training') simulateTraining(run, target.model);
    else simulateDeployment(run, target.model, conf);
    changed();
    return undefined;
  });

  return {
    nextRun: () => next,
    setNextRun(value) {
      next = value;
      changed();
    },
    runs: () => runs.map((r) => ({ ...r })),
    nextVersion,
    noteVersion,
    candidateMetrics,
    events,
    liveEndpoint,
    recordTrainingJob,
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
