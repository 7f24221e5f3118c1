import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { createAlarmRecorder } from '../../src/pipeline-events/record-event';
import { snsHookRoute } from '../../src/pipeline-events/sns-hook-route';
import { evaluationCompleted } from '../fixtures/pipeline-events';
import { snsNotification, snsSubscriptionConfirmation } from '../fixtures/sns-messages';
import { createSnsSigner } from '../fixtures/sns-signing';
import { SAMPLE_CONFIG, startTestBot, type TestBot } from '../kit/start-test-bot';

/**
 * Issue 18: "Terraform cannot confirm the SNS subscription in the documented order". The order
 * documented now (docs/connect-your-pipeline.md step 4): the topic ARN is predictable, so it goes
 * into sns.topicArns and the bot is (re)started BEFORE `terraform apply` creates the topic and the
 * subscription; SNS's SubscriptionConfirmation then reaches a bot that accepts it. The ARN used
 * here is the one deploy/terraform's `local.sns_topic_arn` computes (evaluated from the parsed
 * HCL), the confirmation is signed as SNS signs it, and the subscription is confirmed by GETting
 * SubscribeURL. The other order (apply first) is refused with a message that says how to recover,
 * and recovering as it says works.
 */

const TF = join(__dirname, '..', '..', 'deploy', 'terraform');
const ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
const signer = createSnsSigner(REGION);

/** `local.sns_topic_arn` of a created topic, with the module's defaults, for ACCOUNT and REGION. */
async function terraformTopicArn(): Promise<string> {
  const main = (await parse('main.tf', readFileSync(join(TF, 'main.tf'), 'utf8'))) as { locals: Record<string, string>[] };
  const vars = (await parse('variables.tf', readFileSync(join(TF, 'variables.tf'), 'utf8'))) as { variable: Record<string, { default?: string }[]> };
  const expression = main.locals.map((l) => l['sns_topic_arn']).find((v) => v !== undefined) ?? '';
  // `${local.create_topic ? "<created>" : var.sns_topic_arn}`: the created-topic branch.
  const created = /\?\s*"([^"]+)"\s*:/.exec(expression)?.[1];
  if (created === undefined) throw new Error(`local.sns_topic_arn is not predictable: ${expression}`);
  const values: Record<string, string> = {
    'local.partition': 'aws',
    'local.region': REGION,
    'local.account_id': ACCOUNT,
    'var.sns_topic_name': vars.variable['sns_topic_name']?.[0]?.default ?? '',
  };
  return created.replace(/\$\{([a-z_.]+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`unknown reference ${name} in the topic ARN`);
    return value;
  });
}

/** What AWS names the topic `terraform apply` creates with the module's defaults. */
const CREATED_TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:mlops-events`;

/** The SubscriptionConfirmation SNS sends when the subscription is created (each subscribe call: a new message and token). */
function confirmationFromSns(token: string): Record<string, unknown> {
  return signer.sign(
    snsSubscriptionConfirmation({
      TopicArn: CREATED_TOPIC_ARN,
      Token: token,
      Message: `You have chosen to subscribe to the topic ${CREATED_TOPIC_ARN}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
      SubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${CREATED_TOPIC_ARN}&Token=${token}`,
    }),
  );
}

interface Running {
  t: TestBot;
  url: string;
  close(): Promise<void>;
}

/** The real bot (store, recorder, config) with its SNS route mounted on a fetch that plays the SNS host. */
async function startBot(topicArns: string[]): Promise<Running> {
  const t = await startTestBot({ fileConfig: { ...SAMPLE_CONFIG, sns: { topicArns } }, store: 'memory' });
  const deps = t.bot.deps;
  const handler = snsHookRoute({
    config: deps.config.file,
    store: deps.store,
    recordEvent: deps.recordEvent,
    recordAlarm: createAlarmRecorder({ store: deps.store }),
    clock: deps.clock,
    metrics: deps.metrics,
    fetch: signer.fetch,
  });
  const server: Server = createServer((req, res) => void handler(req, res, deps.logger));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    t,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sns`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.stop();
    },
  };
}

const deliver = (url: string, message: Record<string, unknown>) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': String(message['Type']) },
    body: JSON.stringify(message),
  });

const subscribeUrlFetches = (message: Record<string, unknown>) => signer.fetch.calls.filter((u) => u === message['SubscribeURL']).length;

describe('SNS subscription created by Terraform, in the documented order', () => {
  it('the topic ARN predicted from account, region and sns_topic_name is the one AWS gives the created topic', async () => {
    expect(await terraformTopicArn()).toBe(CREATED_TOPIC_ARN);
  });

  it("config first (predicted ARN in sns.topicArns), then apply: the bot confirms the subscription, then accepts the topic's events", async () => {
    const bot = await startBot([await terraformTopicArn()]);
    try {
      const confirmation = confirmationFromSns('a1'.repeat(64));
      const res = await deliver(bot.url, confirmation);
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { confirmed: true } });
      expect(subscribeUrlFetches(confirmation)).toBe(1);

      const event = evaluationCompleted({ model: 'fraud-detector' });
      const notification = signer.sign(
        snsNotification(event, {
          TopicArn: CREATED_TOPIC_ARN,
          UnsubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${CREATED_TOPIC_ARN}:1`,
        }),
      );
      expect((await deliver(bot.url, notification)).status).toBe(202);
    } finally {
      await bot.close();
    }
  });

  it('apply first (topic not listed yet): not confirmed, and the answer and the log say how to recover; recovering that way confirms', async () => {
    const before = await startBot(['arn:aws:sns:eu-west-1:210987654321:some-other-topic']);
    const first = confirmationFromSns('b2'.repeat(64));
    try {
      const res = await deliver(before.url, first);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toMatch(
        /not in sns\.topicArns: the subscription was not confirmed; add the topic, restart the bot and subscribe again/,
      );
      expect(subscribeUrlFetches(first)).toBe(0);
      const warning = before.t.logs.lines
        .map((l) => JSON.parse(l) as { msg: string; topicArn?: string })
        .find((l) => l.msg.includes('subscription confirmation from a topic not in sns.topicArns'));
      expect(warning?.topicArn).toBe(CREATED_TOPIC_ARN);
      expect(warning?.msg).toMatch(/terraform apply -replace=aws_sns_topic_subscription\.bot/);
    } finally {
      await before.close();
    }

    // Add the topic, restart, subscribe again (a new SubscriptionConfirmation with a new token).
    const after = await startBot([CREATED_TOPIC_ARN]);
    try {
      const again = confirmationFromSns('c3'.repeat(64));
      const res = await deliver(after.url, again);
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { confirmed: true } });
      expect(subscribeUrlFetches(again)).toBe(1);
    } finally {
      await after.close();
    }
  });
});
