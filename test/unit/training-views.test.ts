import { ErrorCode } from '../../src/core/errors';
import { ActionId } from '../../src/slack/slack-ids';
import { commandErrorView } from '../../views/command-error-view';
import { helpView } from '../../views/help-view';
import { trainingConfirmView } from '../../views/training-confirm-view';
import { trainingRequestedView } from '../../views/training-requested-view';
import { blocksText, slackLimitProblems } from './slack-limits-check';

describe('trainingRequestedView', () => {
  const view = trainingRequestedView({
    model: 'fraud-detector',
    dagId: 'fraud_detector_training',
    runId: 'mlops_train__fraud-detector__20261124T100000Z__abc123',
    requestedBy: 'U0ALICE',
    retrain: false,
    params: { epochs: '20', note: 'a <b>' },
  });
  it('says what was requested, by whom, with the run id, DAG and params', () => {
    expect(view.text).toBe('training fraud-detector requested by <@U0ALICE> (run mlops_train__fraud-detector__20261124T100000Z__abc123)');
    const text = blocksText(view.blocks);
    expect(text).toContain('DAG `fraud_detector_training`');
    expect(text).toContain('`epochs=20` `note=a &lt;b&gt;`');
    expect(slackLimitProblems(view)).toEqual([]);
    const retrain = trainingRequestedView({ model: 'm', dagId: 'd', runId: 'r', requestedBy: 'U1', retrain: true, params: {} });
    expect(retrain.text).toBe('retraining m requested by <@U1> (run r)');
    expect(blocksText(retrain.blocks)).not.toContain('params');
  });
  it('matches its snapshot', () => {
    expect(view).toMatchSnapshot();
  });
});

describe('trainingConfirmView', () => {
  const view = trainingConfirmView({
    model: 'fraud-detector',
    retrain: false,
    pendingId: 'p-123',
    previous: { runId: 'mlops_train__x', requestedBy: 'U0BOB', at: '2026-11-24T09:48:00Z' },
    windowMinutes: 120,
    now: new Date('2026-11-24T10:00:00Z'),
  });
  it('asks with Confirm / Cancel buttons that carry the pending id', () => {
    expect(view.text).toBe(
      'fraud-detector already has a training run requested 12 min ago by <@U0BOB> (run mlops_train__x) with no outcome yet. Start another training anyway?',
    );
    const actions = view.blocks.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string; style?: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value, e.style])).toEqual([
      [ActionId.ConfirmTrain, 'p-123', 'primary'],
      [ActionId.CancelTrain, 'p-123', undefined],
    ]);
    expect(blocksText(view.blocks)).toContain('`training.duplicateWindowMinutes`');
    expect(slackLimitProblems(view)).toEqual([]);
  });
  it('matches its snapshot', () => {
    expect(view).toMatchSnapshot();
  });
});

describe('commandErrorView', () => {
  it('adds usage and an example to invalid input', () => {
    const view = commandErrorView({
      command: '/mlops',
      usage: 'history <model> [n]',
      example: 'history fraud-detector 20',
      code: ErrorCode.CommandInvalid,
      message: 'missing <model>',
    });
    // The fallback text is mrkdwn as well: `<model>` is escaped there too, and shows as written.
    expect(view.text).toBe('Missing &lt;model&gt;. Usage: `/mlops history &lt;model&gt; [n]` — for example `/mlops history fraud-detector 20`');
    expect(blocksText(view.blocks)).toContain('Missing &lt;model&gt;.');
    expect(slackLimitProblems(view)).toEqual([]);
  });
  it('says what to do about AWS failures, and whether anything started', () => {
    const denied = commandErrorView({
      command: '/mlops',
      code: ErrorCode.AwsAccessDenied,
      message: 'not allowed to call lambda:InvokeFunction',
      starting: true,
    });
    expect(denied.text).toBe('not allowed to call lambda:InvokeFunction. Nothing was started.');
    expect(commandErrorView({ command: '/mlops', code: ErrorCode.AwsThrottled, message: 'Slow down. Try again in a minute.' }).text).toBe(
      'Slow down. Try again in a minute.',
    );
    const timeout = commandErrorView({ command: '/mlops', code: ErrorCode.AwsTimeout, message: 'AWS did not answer', starting: true });
    expect(timeout.text).toContain('may have started anyway');
  });
  it('renders the mentions of a refusal (they come from the config, not from the user)', () => {
    const view = commandErrorView({
      command: '/mlops',
      code: ErrorCode.NotAuthorized,
      message: 'Only operators of m may start training: <@U0ALICE> or members of <!subteam^S0OPS>',
    });
    expect(blocksText(view.blocks)).toContain(':lock: Only operators of m may start training: <@U0ALICE> or members of <!subteam^S0OPS>.');
  });
});

describe('helpView', () => {
  const entries = [
    { name: 'help', usage: 'help [subcommand]', summary: 'list', example: 'help train' },
    { name: 'train', usage: 'train <model> [key=value…]', summary: 'start training', example: 'train fraud-detector epochs=20', details: 'Operators only.' },
  ];
  it('lists every subcommand, and explains one with details and an example', () => {
    const all = helpView({ command: '/mlops', entries });
    expect(all.text).toBe('/mlops subcommands: help, train');
    expect(blocksText(all.blocks)).toContain('`/mlops train &lt;model&gt; [key=value…]` — start training');
    const one = helpView({ command: '/mlops', entries, focus: 'train' });
    expect(one.text).toBe('/mlops train &lt;model&gt; [key=value…]: start training. Example: /mlops train fraud-detector epochs=20');
    expect(blocksText(one.blocks)).toContain('Operators only.');
    expect(blocksText(one.blocks)).toContain('Example: `/mlops train fraud-detector epochs=20`');
    expect(slackLimitProblems(one)).toEqual([]);
  });
  it('suggests a subcommand for a typo', () => {
    const typo = helpView({ command: '/mlops', entries, unknown: 'trian', suggestion: 'train' });
    expect(typo.text).toMatch(/^`trian` is not a \/mlops subcommand\. Did you mean `\/mlops train`\?/);
  });
  it('matches its snapshot', () => {
    expect(helpView({ command: '/mlops', entries, focus: 'train' })).toMatchSnapshot();
  });
});
