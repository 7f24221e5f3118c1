import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { sendCommand } from './commands-kit';

describe('/mlops help', () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ store: 'memory' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('lists train, retrain, status, models and history in order, in the ack', async () => {
    const ack = await sendCommand(t, 'help');
    expect(ack.body?.response_type).toBe('ephemeral');
    expect(ack.body?.text).toMatch(/^\/mlops subcommands: help, train, retrain, status, models, history\b/);
    const listed = JSON.stringify(ack.body?.blocks);
    // `<model>` is escaped: Slack reads `<…>` as markup even inside code.
    for (const usage of [
      'train &lt;model&gt; [key=value…]',
      'retrain &lt;model&gt;',
      'status [model|endpoint] [3h|24h|7d]',
      'models',
      'history &lt;model&gt; [n]',
    ])
      expect(listed).toContain(`\`/mlops ${usage}\``);
  });

  it.each([
    ['train', 'train fraud-detector epochs=20 learning_rate=0.01', 'Operators only'],
    ['retrain', 'retrain fraud-detector', 'retrain: true'],
    ['status', 'status fraud-detector', 'a graph with sparklines of the window'],
    ['models', 'models', 'newest SageMaker model'],
    ['history', 'history fraud-detector 20', 'who (or the pipeline)'],
  ])('help %s explains it with details and an example', async (name, example, detail) => {
    const ack = await sendCommand(t, `help ${name}`);
    expect(ack.body?.text).toContain(`Example: /mlops ${example}`);
    const text = JSON.stringify(ack.body?.blocks);
    expect(text).toContain(`Example: \`/mlops ${example}\``);
    expect(text).toContain(detail);
  });

  it('suggests the closest subcommand for a typo', async () => {
    expect((await sendCommand(t, 'help trian')).body?.text).toMatch(/^`trian` is not a \/mlops subcommand\. Did you mean `\/mlops help train`\?/);
    expect((await sendCommand(t, 'stauts')).body?.text).toMatch(/^`stauts` is not a \/mlops subcommand\. Did you mean `\/mlops status`\?/);
  });
});
