import { randomUUID } from 'node:crypto';
import { ActionId } from '../../src/slack/slack-ids';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { triggerInvokes, waitFor, waitForAnswer } from './approvals-helpers';

/**
 * `/mlops lineage` (issue 15) through the real flow: an evaluation arrives on the signed hook, an
 * approver clicks Deploy (Lambda), the deployment succeeds; then lineage asks SageMaker (fake AWS)
 * for the endpoint and the training job. Partial data and AWS errors show as unknown, never guessed.
 */
describe('/mlops lineage <model|endpoint> [version]', () => {
  let t: TestBot;
  beforeEach(async () => {
    t = await startTestBot();
  });
  afterEach(async () => {
    await t.stop();
  });

  async function lineage(text: string): Promise<string> {
    const id = `r-${randomUUID()}`;
    expect((await t.command(text, { userId: 'U0MALLORY', channelId: 'C0FRAUD', responseUrl: t.slack.responseUrl(id) })).status).toBe(200);
    return waitForAnswer(t, id);
  }

  async function deployEvaluated(): Promise<{ candidateId: string; trainingRunId: string; deployRunId: string }> {
    const job = 'fraud-detector-1-4-0-20261124-091203';
    // A DescribeTrainingJob answer as SageMaker gives it (SDK field names), with two input channels.
    t.aws.sagemaker.setTrainingJob({
      TrainingJobName: job,
      TrainingJobStatus: 'Completed',
      TrainingStartTime: new Date('2026-11-24T09:13:00Z'),
      TrainingEndTime: new Date('2026-11-24T09:52:45Z'),
      AlgorithmSpecification: { TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mlops/fraud-detector:1.4.0', TrainingInputMode: 'File' },
      InputDataConfig: [
        { ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://acme-ml-data/fraud/train/' } } },
        { ChannelName: 'validation', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://acme-ml-data/fraud/validation/' } } },
      ],
      ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
      HyperParameters: { epochs: '20', learning_rate: '0.01' },
      BillableTimeInSeconds: 2385,
    });
    const evaluation = evaluationCompleted({ trainingJob: job });
    expect((await t.hook(evaluation)).status).toBe(202);
    const candidate = await waitFor(
      async () => (await t.bot.deps.candidates.listByModel('fraud-detector')).find((c) => c.message !== undefined),
      'the candidate card',
    );
    const message = candidate.message ?? { channel: 'C0FRAUD', ts: '' };
    await t.click({ actionId: ActionId.Deploy, value: candidate.id, userId: 'U0ALICE', channelId: message.channel, messageTs: message.ts });
    const invoke = await waitFor(() => triggerInvokes(t).find((c) => c.body.conf['candidate_id'] === candidate.id), 'the deployment trigger');
    const succeeded = {
      id: randomUUID(),
      type: 'deployment.succeeded',
      model: 'fraud-detector',
      version: '1.4.0',
      timestamp: '2026-11-24T11:09:00Z',
      endpoint: 'fraud-detector-prod',
      run: { dagId: 'fraud_detector_deployment', runId: invoke.body.dag_run_id },
    };
    expect((await t.hook(succeeded)).status).toBe(202);
    await waitFor(async () => (await t.bot.deps.production.current('fraud-detector'))?.version === '1.4.0', 'the production record');
    return { candidateId: candidate.id, trainingRunId: evaluation.run.runId, deployRunId: invoke.body.dag_run_id };
  }

  it('by endpoint: endpoint and config, serving version, approver and decision, both runs, the training job from SageMaker, commit/image/data', async () => {
    const { candidateId, trainingRunId, deployRunId } = await deployEvaluated();
    const answer = await lineage('lineage fraud-detector-prod');
    expect(answer).toContain('Lineage of fraud-detector 1.4.0');
    expect(answer).toContain('serves traffic');
    expect(answer).toContain('fraud-detector-prod');
    expect(answer).toMatch(/Endpoint config:\* `[^`]+`/);
    expect(answer).toContain(candidateId);
    expect(answer).toMatch(/Approved by:\* <@U0ALICE> <!date\^/);
    expect(answer).toContain(trainingRunId);
    expect(answer).toContain(deployRunId);
    // DescribeTrainingJob (the fake's default job): image, channels, hyperparameters, instance, billable time.
    expect(answer).toContain('dkr.ecr.us-east-1.amazonaws.com/mlops/fraud-detector:1.4.0');
    expect(answer).toContain('*Input channels:* train `s3://acme-ml-data/fraud/train/`, validation `s3://acme-ml-data/fraud/validation/`');
    expect(answer).toContain('epochs=20');
    expect(answer).toContain('ml.m5.xlarge');
    expect(answer).toContain('39m 45s');
    expect(answer).toContain('3f2a9c1');
    expect(answer).toContain('s3://acme-ml-data/fraud/train/');
    expect(t.aws.callsTo('sagemaker', 'DescribeTrainingJob').length).toBeGreaterThanOrEqual(1);
  });

  it('partial data: a model never evaluated nor deployed shows unknown pieces, without asking for a training job', async () => {
    const before = t.aws.callsTo('sagemaker', 'DescribeTrainingJob').length;
    const answer = await lineage('lineage churn-predictor');
    expect(answer).toContain('Lineage of churn-predictor');
    expect(answer).toContain('no version known');
    expect(answer).toMatch(/Candidate:\* _unknown_/);
    expect(answer).toMatch(/Commit:\* _unknown_/);
    expect(answer).toMatch(/Training job:\* _unknown_/);
    expect(t.aws.callsTo('sagemaker', 'DescribeTrainingJob').length).toBe(before);
  });

  it('AWS errors: the training job and the endpoint show unknown with the reason; what the bot recorded still shows', async () => {
    await deployEvaluated();
    t.aws.failNext('sagemaker', 'DescribeTrainingJob', { error: { status: 400, type: 'AccessDeniedException', message: 'not allowed' } }, 10);
    t.aws.failNext('sagemaker', 'DescribeEndpoint', { error: { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } }, 10);
    const answer = await lineage('lineage fraud-detector 1.4.0');
    expect(answer).toMatch(/Training image:\* _unknown_/);
    expect(answer).toMatch(/Endpoint config:\* _unknown_/);
    expect(answer).toContain('DescribeTrainingJob');
    expect(answer).toContain('DescribeEndpoint');
    expect(answer).toContain('3f2a9c1');
    expect(answer).toMatch(/Approved by:\* <@U0ALICE>/);
  });

  it('an unknown model or endpoint is refused with the configured names', async () => {
    const answer = await lineage('lineage nope');
    expect(answer).toContain('is not a configured model');
  });
});
