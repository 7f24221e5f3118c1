import fc from 'fast-check';
import { ActionId, BlockId, CallbackId, InputActionId } from '../../src/slack/slack-ids';
import { evaluationCompleted, trainingFailed, trainingStarted } from '../fixtures/pipeline-events';
import { cloudwatchAlarm, snsNotification, snsSubscriptionConfirmation, TOPIC_ARN, trainingJobStateChange } from '../fixtures/sns-messages';
import { createSnsSigner } from '../fixtures/sns-signing';
import { blockActionPayload, interactionBody, viewSubmissionPayload } from '../kit/sign-requests';
import { startTestBot, type TestBot } from '../kit/start-test-bot';
import { seedCandidate } from './approvals-helpers';

/**
 * Generated and mutated inputs against the running bot: never a 5xx, never a crash, and the
 * process stays healthy. Counts are reported so the figure can be quoted. Four doors:
 * - the pipeline hook (signed): mutated real events, arbitrary JSON, binary garbage;
 * - `/mlops` slash command text;
 * - /hooks/sns: mutated real SNS envelopes (signed with the test key after mutation, tampered
 *   after signing, unsigned) and garbage bodies; every outbound request of the bot is watched
 *   (globalThis.fetch, which the SNS route uses) and none may go to a host other than SNS;
 * - Slack interactivity (block_actions, view_submission and other payload types), correctly
 *   Slack-signed so they pass the signature check and reach Bolt's listeners: mutated payloads,
 *   unknown action and callback ids, missing fields, wrong types, huge values, broken JSON.
 */
const HOOK_RUNS = 2000;
const COMMAND_RUNS = 1000;
const SNS_RUNS = 1200;
const INTERACTION_RUNS = 1200;
/** Interactions are sent this many at a time: unknown ids are not acked, and Bolt answers those 404 after 3 s. */
const INTERACTION_CONCURRENCY = 64;

const anyJson = fc.jsonValue({ maxDepth: 4 });
const field = fc.constantFrom(
  'id',
  'type',
  'model',
  'version',
  'timestamp',
  'run',
  'metrics',
  'confusionMatrix',
  'error',
  'links',
  'lineage',
  'endpoint',
  '__proto__',
  'constructor',
);
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), key: field }),
  fc.record({ kind: fc.constant('set' as const), key: field, value: anyJson }),
  fc.record({ kind: fc.constant('set' as const), key: field, value: fc.string({ maxLength: 3000, unit: 'binary' }) }),
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.constant('metrics'),
    value: fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.double(), fc.string(), fc.constant(null))),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.constant('confusionMatrix'),
    value: fc.record({ labels: fc.array(fc.string(), { maxLength: 60 }), matrix: fc.array(fc.array(fc.double(), { maxLength: 5 }), { maxLength: 5 }) }),
  }),
);

/** JSON.stringify's type says string, but undefined (which fc.anything() produces) gives undefined. */
function jsonOf(value: unknown): string | undefined {
  return JSON.stringify(value);
}

function mutate(base: Record<string, unknown>, mutations: { kind: 'drop' | 'set'; key: string; value?: unknown }[]): string {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const m of mutations) {
    if (m.kind === 'drop') Reflect.deleteProperty(copy, m.key);
    else Object.defineProperty(copy, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
  }
  return JSON.stringify(copy);
}

// ---- nested mutations (SNS envelopes and interaction payloads) -------------------------------

type Path = readonly (string | number)[];
type PathMutation = { path: Path; drop: true } | { path: Path; drop?: false; value: unknown };

/** Sets (or deletes) a nested value on a deep copy, creating or replacing intermediate objects. */
function mutatePaths(base: unknown, mutations: readonly PathMutation[]): unknown {
  let root = JSON.parse(JSON.stringify(base)) as unknown;
  for (const m of mutations) {
    if (m.path.length === 0) {
      root = m.drop ? undefined : m.value;
      continue;
    }
    if (typeof root !== 'object' || root === null) root = {};
    let node = root as Record<string | number, unknown>;
    for (const key of m.path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null) Object.defineProperty(node, key, { value: {}, enumerable: true, configurable: true, writable: true });
      node = node[key] as Record<string | number, unknown>;
    }
    const last = m.path[m.path.length - 1]!;
    if (m.drop) Reflect.deleteProperty(node, last);
    else Object.defineProperty(node, last, { value: m.value, enumerable: true, configurable: true, writable: true });
  }
  return root;
}

const huge = fc.integer({ min: 20_000, max: 200_000 }).map((n) => 'x'.repeat(n));
/** Values of the wrong type, odd strings and huge ones, for any field. */
const oddValue = fc.oneof(
  anyJson,
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.constantFrom(null, true, 0, -1, 1e308, '', ' ', '\u0000', '__proto__', '{}', '[]', 'null', [], {}, [null], [{}], { id: null }),
  { weight: 1, arbitrary: huge },
);
/** Drop a field, or set it to an odd value or (`specialWeight` times as often) a value meant for that door. */
const pathMutation = (paths: readonly Path[], special: fc.Arbitrary<unknown> = oddValue, specialWeight = 1): fc.Arbitrary<PathMutation> =>
  fc.oneof(
    fc.record({ path: fc.constantFrom(...paths), drop: fc.constant(true as const) }),
    fc.record({ path: fc.constantFrom(...paths), value: fc.oneof({ weight: 1, arbitrary: oddValue }, { weight: specialWeight, arbitrary: special }) }),
  );

const SNS_HOST = /^sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com$/;
/** URLs an attacker would like the bot to fetch, and near misses of the SNS host. */
const HOSTILE_URLS = [
  'https://attacker.example/SimpleNotificationService-1.pem',
  'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem',
  'https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-1.pem',
  'https://user:pw@sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem',
  'https://sns.us-east-1.amazonaws.com.attacker.example/x.pem',
  'https://sns.us-east-1.amazonaws.com@attacker.example/x.pem',
  'https://attacker.example/?sns.us-east-1.amazonaws.com/x.pem',
  'https://169.254.169.254/latest/meta-data/iam/x.pem',
  'http://127.0.0.1:6379/x.pem',
  'file:///etc/passwd',
  'javascript:alert(1)',
  '//attacker.example/x.pem',
  'https://sns.amazonaws.com/x.pem',
  'https://sns.us-east-1.amazonaws.com/x.txt',
  'https://attacker.example/?Action=ConfirmSubscription&TopicArn=x',
  'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=fuzz',
  'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-other.pem',
  'https://SNS.US-EAST-1.AMAZONAWS.COM/SimpleNotificationService-1.pem',
] as const;

describe('fuzz', () => {
  let t: TestBot;
  const counts = { hook: 0, command: 0, sns: 0, interaction: 0 };
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t.stop();
    const total = counts.hook + counts.command + counts.sns + counts.interaction;
    process.stdout.write(
      `fuzz: ${total} generated and mutated inputs in total: ${counts.hook} hook payloads, ${counts.command} slash command texts, ${counts.sns} SNS messages, ${counts.interaction} interaction payloads\n`,
    );
  });

  it(`pipeline hook: ${HOOK_RUNS} mutated and generated payloads, never a 5xx`, async () => {
    const payload = fc.oneof(
      { weight: 3, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => mutate(evaluationCompleted(), ms)) },
      { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 500, unit: 'binary' }) },
    );
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        counts.hook++;
        const res = await t.hook(body);
        await res.arrayBuffer();
        expect([200, 202, 400, 413, 422]).toContain(res.status);
      }),
      { numRuns: HOOK_RUNS },
    );
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  }, 120_000);

  it(`slash command text: ${COMMAND_RUNS} generated texts, never a 5xx, always an answer`, async () => {
    const words = fc.constantFrom(
      'help',
      'train',
      'retrain',
      'status',
      'models',
      'history',
      'deploy',
      'rollback',
      'fraud-detector',
      'x=1',
      'x=1 x=2',
      '"',
      "'",
      '=',
      'a="b c"',
      '\u201Cq\u201D',
    );
    const text = fc.oneof(
      fc.array(words, { maxLength: 6 }).map((w) => w.join(' ')),
      fc.string({ maxLength: 300, unit: 'binary' }),
    );
    await fc.assert(
      fc.asyncProperty(text, async (value) => {
        counts.command++;
        const res = await t.command(value);
        const body = await res.text();
        expect(res.status).toBe(200);
        expect(typeof body).toBe('string');
      }),
      { numRuns: COMMAND_RUNS },
    );
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  }, 120_000);
  it(`SNS: ${SNS_RUNS} mutated envelopes (signed after mutation, tampered, unsigned) and garbage: never a 5xx, no request to a non-SNS host`, async () => {
    const signer = createSnsSigner();
    const realFetch = globalThis.fetch;
    const outbound: string[] = [];
    const offHost: string[] = [];
    // Every fetch of the bot (the SNS route's certificate download and SubscribeURL) lands here:
    // on an SNS host it is answered as SNS would (the test certificate for any .pem, 200 for the
    // rest), never with a real network request; anything else is a violation.
    const spy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (target.startsWith(`${t.url}/`)) return realFetch(input, init);
      outbound.push(target);
      let url: URL | undefined;
      try {
        url = new URL(target);
      } catch {
        url = undefined;
      }
      if (url?.protocol !== 'https:' || url.port !== '' || url.username !== '' || !SNS_HOST.test(url.hostname)) {
        offHost.push(target);
        throw new TypeError('fetch failed (blocked by the fuzz test)');
      }
      if (url.pathname.endsWith('.pem')) return new Response(signer.certPem, { status: 200 });
      return new Response(
        '<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>',
        { status: 200 },
      );
    });
    const statuses = new Map<string, number>();
    try {
      const message = fc.oneof(
        fc.uuid().map((id) => JSON.stringify(evaluationCompleted({ id }))),
        fc.tuple(fc.uuid(), fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([id, ms]) => mutate(evaluationCompleted({ id }), ms)),
        fc.uuid().map((id) => JSON.stringify(trainingStarted({ id }))),
        fc.uuid().map((id) => JSON.stringify(trainingFailed({ id }))),
        fc
          .tuple(fc.constantFrom('InProgress', 'Completed', 'Failed', 'Stopped'), fc.uuid())
          .map(([status, id]) => JSON.stringify(trainingJobStateChange(status, { jobName: `fraud-detector-${id.slice(0, 8)}` }))),
        fc
          .tuple(fc.constantFrom('ALARM', 'OK', 'INSUFFICIENT_DATA'), fc.uuid())
          .map(([state, id]) => JSON.stringify(cloudwatchAlarm(state, { AlarmName: `fuzz-${id.slice(0, 8)}` }))),
        fc
          .tuple(
            fc.constantFrom('ALARM', 'OK'),
            fc.array(pathMutation([['Trigger'], ['Trigger', 'Dimensions'], ['NewStateValue'], ['AlarmName'], ['StateChangeTime'], ['Trigger', 'MetricName']]), {
              minLength: 1,
              maxLength: 3,
            }),
          )
          .map(([state, ms]) => JSON.stringify(mutatePaths(cloudwatchAlarm(state), ms))),
        anyJson.map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 300, unit: 'binary' }),
      );
      const base = fc.oneof(
        { weight: 4, arbitrary: message.map((m) => snsNotification(m)) },
        { weight: 1, arbitrary: fc.uuid().map((id) => snsSubscriptionConfirmation({ MessageId: id })) },
        { weight: 1, arbitrary: fc.uuid().map((id) => snsSubscriptionConfirmation({ MessageId: id, Type: 'UnsubscribeConfirmation' })) },
      );
      const envelopeFields: Path[] = [
        'Type',
        'MessageId',
        'TopicArn',
        'Message',
        'Timestamp',
        'SignatureVersion',
        'Signature',
        'SigningCertURL',
        'Subject',
        'SubscribeURL',
        'Token',
        'UnsubscribeURL',
        '__proto__',
        'constructor',
      ].map((f) => [f]);
      const special = fc.oneof(
        fc.constantFrom(...HOSTILE_URLS),
        fc.constantFrom(
          'Notification',
          'SubscriptionConfirmation',
          'UnsubscribeConfirmation',
          'notification',
          '1',
          '2',
          '3',
          TOPIC_ARN,
          'arn:aws:sns:us-east-1:999999999999:other',
        ),
        fc.constantFrom(new Date(0).toISOString(), '2020-01-01T00:00:00Z', '2099-01-01T00:00:00Z', 'yesterday', new Date().toISOString()),
        fc.base64String({ maxLength: 700 }),
      );
      const envelope = fc.record({
        base,
        // Often none or one (so that many messages get past the envelope checks), up to four.
        mutations: fc.oneof(
          { weight: 2, arbitrary: fc.constant([]) },
          { weight: 3, arbitrary: fc.array(pathMutation(envelopeFields, special, 4), { minLength: 1, maxLength: 4 }) },
        ),
        signing: fc.oneof(
          { weight: 3, arbitrary: fc.constant('sign-after-mutation' as const) },
          { weight: 2, arbitrary: fc.constant('sign-then-tamper' as const) },
          { weight: 2, arbitrary: fc.constant('signed-untouched' as const) },
          { weight: 1, arbitrary: fc.constant('unsigned' as const) },
        ),
        version: fc.constantFrom('1', '2'),
        header: fc.oneof(
          { weight: 6, arbitrary: fc.constant('match') },
          { weight: 2, arbitrary: fc.constant('absent') },
          { weight: 1, arbitrary: fc.constantFrom('Notification', 'SubscriptionConfirmation', 'garbage') },
        ),
      });
      const input = fc.oneof(
        { weight: 8, arbitrary: envelope.map((e) => ({ kind: 'envelope' as const, ...e })) },
        {
          weight: 1,
          arbitrary: fc
            .oneof(
              anyJson.map((v) => JSON.stringify(v)),
              fc.string({ maxLength: 500, unit: 'binary' }),
            )
            .map((body) => ({ kind: 'garbage' as const, body })),
        },
      );
      const sign = (m: Record<string, unknown>, version: '1' | '2'): Record<string, unknown> => {
        try {
          return signer.sign(m, version);
        } catch {
          return m; // not signable (a signed field is not a string): sent as it is
        }
      };
      await fc.assert(
        fc.asyncProperty(input, async (x) => {
          counts.sns++;
          let body: string;
          const headers: Record<string, string> = { 'content-type': 'text/plain; charset=UTF-8' };
          if (x.kind === 'garbage') body = x.body;
          else {
            let m: unknown;
            if (x.signing === 'sign-after-mutation') m = sign(mutatePaths(x.base, x.mutations) as Record<string, unknown>, x.version);
            else if (x.signing === 'sign-then-tamper') m = mutatePaths(sign(x.base, x.version), x.mutations);
            else if (x.signing === 'signed-untouched') m = sign(x.base, x.version);
            else m = mutatePaths(x.base, x.mutations);
            body = jsonOf(m) ?? 'null';
            const type = typeof m === 'object' && m !== null ? (m as Record<string, unknown>)['Type'] : undefined;
            // Echoed as SNS does, when it can be a header value at all.
            if (x.header === 'match' && typeof type === 'string' && /^[\w-]{1,64}$/.test(type)) headers['x-amz-sns-message-type'] = type;
            else if (x.header !== 'absent' && x.header !== 'match') headers['x-amz-sns-message-type'] = x.header;
          }
          const res = await realFetch(`${t.url}/hooks/sns`, { method: 'POST', headers, body });
          const answer = await res.text();
          // 400 before the signature check (not an SNS envelope) or after it (the Message is not an event).
          const label = res.status === 400 ? `400 ${answer.includes('MLOPS_EVENT_INVALID') ? 'message' : 'envelope'}` : String(res.status);
          statuses.set(label, (statuses.get(label) ?? 0) + 1);
          expect([200, 202, 400, 401, 403, 413, 422]).toContain(res.status);
        }),
        { numRuns: SNS_RUNS },
      );
    } finally {
      spy.mockRestore();
    }
    process.stdout.write(
      `fuzz: SNS answers ${JSON.stringify(Object.fromEntries([...statuses].sort()))}, ${outbound.length} outbound requests, all to SNS hosts\n`,
    );
    expect(offHost).toEqual([]);
    // The fuzz went deep: accepted messages, messages refused after a valid signature, refused
    // signatures and refused URLs or topics all occurred.
    for (const label of ['202', '400 message', '400 envelope', '401', '403']) expect([label, (statuses.get(label) ?? 0) > 0]).toEqual([label, true]);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  }, 120_000);

  it(`interactions: ${INTERACTION_RUNS} signed block_actions / view_submission / other payloads, mutated: never a 5xx, the bot stays healthy`, async () => {
    const seeded = await Promise.all([seedCandidate(t), seedCandidate(t, { version: '1.5.0' }), seedCandidate(t, { version: '1.6.0', startedBy: 'U0ALICE' })]);
    const candidateIds = seeded.map((c) => c.id);
    const handledBefore = await listenerRuns(t);
    const logsBefore = t.logs.lines.length;
    const responseUrl = t.slack.responseUrl('fuzz');
    const actionIds = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...Object.values(ActionId)) },
      { weight: 1, arbitrary: fc.constantFrom('mlops_deploy ', 'MLOPS_DEPLOY', 'unknown_action', '') },
      { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    );
    const value = fc.oneof(
      fc.constantFrom(...candidateIds),
      fc.string({ maxLength: 60 }),
      fc.uuid(),
      huge,
      fc.constantFrom('', '..', 'fraud-detector_1.4.0_0000000000'),
    );
    const user = fc.constantFrom('U0ALICE', 'U0MALLORY', 'U0BOB', '', 'W0ENTERPRISE');
    const blockAction = fc
      .record({ actionId: actionIds, value, userId: user })
      .map((a) => blockActionPayload({ ...a, channelId: 'C0FRAUD', messageTs: seeded[0].ts, responseUrl }));
    const reason = fc.oneof(fc.constant('Recall dropped'), fc.constant(null), fc.constant('   '), fc.string({ maxLength: 200, unit: 'binary' }), huge);
    const metadata = fc.oneof(
      fc.constantFrom(...candidateIds).map((candidateId) => JSON.stringify({ candidateId, channel: 'C0FRAUD', ts: seeded[0].ts })),
      anyJson.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200, unit: 'binary' }),
      huge,
    );
    const viewSubmission = fc
      .record({
        callbackId: fc.oneof({ weight: 5, arbitrary: fc.constant(CallbackId.RejectModal) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) }),
        userId: user,
        privateMetadata: metadata,
        reason,
      })
      .map((v) =>
        viewSubmissionPayload({
          callbackId: v.callbackId,
          userId: v.userId,
          privateMetadata: v.privateMetadata,
          values: { [BlockId.RejectReason]: { [InputActionId.RejectReason]: { type: 'plain_text_input', value: v.reason } } },
        }),
      );
    const otherType = fc.record({
      type: fc.constantFrom(
        'shortcut',
        'message_action',
        'block_suggestion',
        'view_closed',
        'interactive_message',
        'dialog_submission',
        'workflow_step_edit',
        'url_verification',
        'event_callback',
        '',
      ),
      callback_id: fc.string({ maxLength: 20 }),
      user: fc.record({ id: user }),
      team: fc.constant({ id: 'T0TEAM' }),
      trigger_id: fc.string({ maxLength: 20 }),
    });
    const actionPaths: Path[] = [
      ['type'],
      ['user'],
      ['user', 'id'],
      ['team'],
      ['api_app_id'],
      ['token'],
      ['trigger_id'],
      ['response_url'],
      ['actions'],
      ['actions', 0],
      ['actions', 0, 'action_id'],
      ['actions', 0, 'value'],
      ['actions', 0, 'type'],
      ['actions', 0, 'block_id'],
      ['actions', 1],
      ['container'],
      ['container', 'channel_id'],
      ['container', 'message_ts'],
      ['container', 'type'],
      ['channel'],
      ['channel', 'id'],
      ['message'],
      ['message', 'ts'],
      ['view'],
      ['view', 'callback_id'],
      ['view', 'private_metadata'],
      ['view', 'state'],
      ['view', 'state', 'values'],
      ['view', 'state', 'values', BlockId.RejectReason],
      ['view', 'state', 'values', BlockId.RejectReason, InputActionId.RejectReason, 'value'],
      ['view', 'id'],
      ['response_urls'],
      ['enterprise'],
      ['is_enterprise_install'],
      ['__proto__'],
      ['constructor'],
    ];
    // response_url is trusted by Bolt (the payload is signed by Slack): keep it on the fake Slack or broken, never another host.
    const safeSpecial = fc.oneof(fc.constant(responseUrl), fc.constantFrom('not a url', 'ftp://', 'http://'), fc.constantFrom(...candidateIds), actionIds);
    const payload = fc
      .tuple(
        fc.oneof({ weight: 3, arbitrary: blockAction }, { weight: 2, arbitrary: viewSubmission }, { weight: 1, arbitrary: otherType }),
        fc.array(pathMutation(actionPaths, safeSpecial), { maxLength: 4 }),
      )
      .map(([p, ms]) => mutatePaths(p, ms));
    const request = fc.oneof(
      { weight: 12, arbitrary: payload.map((p) => ({ body: interactionBody((p ?? null) as object), contentType: 'application/x-www-form-urlencoded' })) },
      // payload= with broken JSON (a cut-off document) or a non-object
      {
        weight: 1,
        arbitrary: fc.tuple(payload, fc.nat()).map(([p, n]) => {
          const json = jsonOf(p) ?? '';
          return { body: new URLSearchParams({ payload: json.slice(0, n % (json.length + 1)) }).toString(), contentType: 'application/x-www-form-urlencoded' };
        }),
      },
      {
        weight: 1,
        arbitrary: anyJson.map((v) => ({
          body: new URLSearchParams({ payload: jsonOf(v) ?? '' }).toString(),
          contentType: 'application/x-www-form-urlencoded',
        })),
      },
      // no payload field at all, or a JSON body instead of a form
      {
        weight: 1,
        arbitrary: fc
          .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }))
          .map((d) => ({ body: new URLSearchParams(d).toString(), contentType: 'application/x-www-form-urlencoded' })),
      },
      { weight: 1, arbitrary: payload.map((p) => ({ body: jsonOf(p) ?? '', contentType: 'application/json' })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 300, unit: 'binary' }).map((body) => ({ body, contentType: 'application/json' })) },
    );
    const seed = Date.now();
    const inputs = fc.sample(request, { numRuns: INTERACTION_RUNS, seed });
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: INTERACTION_CONCURRENCY }, async () => {
        while (next < inputs.length) {
          const input = inputs[next++]!;
          counts.interaction++;
          const res = await t.slackPost(input.body, { 'content-type': input.contentType });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          // Signed, so never 401; 400 malformed; 404 not acknowledged by any listener (Bolt, after 3 s).
          if (![200, 400, 404].includes(res.status)) failures.push(`${res.status} for ${input.contentType} ${input.body.slice(0, 300)}`);
        }
      }),
    );
    const handled = (await listenerRuns(t)) - handledBefore;
    process.stdout.write(
      `fuzz: interaction answers ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}, ${handled} reached a listener (seed ${seed})\n`,
    );
    expect(failures).toEqual([]);
    // Never a crash: no listener of ours threw, before or after its ack. (Bolt itself throws on
    // some shapes Slack never sends, `actions` not an array…: those are answered 400.)
    const logged = t.logs.lines.slice(logsBefore);
    const thrown = logged.filter(
      (l) =>
        l.includes('a Slack listener failed after its ack') ||
        (l.includes('before its ack') && /\/(src\/(listeners|services|core|store|slack)|commands)\/[\w/-]+\.ts/.test(l)),
    );
    expect(thrown.map((l) => l.slice(0, 500))).toEqual([]);
    // Signed correctly: the payloads got past the signature check and many reached the listeners.
    expect(statuses.get(401) ?? 0).toBe(0);
    expect(handled).toBeGreaterThan(INTERACTION_RUNS / 5);
    // Healthy afterwards: health, readiness, and an ordinary click is still answered.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    const probe = await seedCandidate(t, { version: '9.9.9' });
    const res = await t.click({
      actionId: ActionId.Deploy,
      value: probe.id,
      userId: 'U0MALLORY',
      channelId: probe.channel,
      messageTs: probe.ts,
      responseUrl: t.slack.responseUrl('fuzz-probe'),
    });
    expect(res.status).toBe(200);
    const [answer] = await t.slack
      .waitForResponses(1 + t.slack.responses.filter((r) => r.id !== 'fuzz-probe').length, 8000)
      .then((all) => all.filter((r) => r.id === 'fuzz-probe'));
    expect(answer?.text).toContain('You may not approve deployments of fraud-detector');
  }, 120_000);

  it('regressions the fuzz found: signed bodies Bolt itself cannot process are answered 400 at once (no 500, no hang)', async () => {
    const payloadOf = (p: unknown) => new URLSearchParams({ payload: JSON.stringify(p) }).toString();
    const click = blockActionPayload({
      actionId: ActionId.Deploy,
      value: 'x',
      userId: 'U0ALICE',
      channelId: 'C0FRAUD',
      messageTs: '1.2',
      responseUrl: t.slack.responseUrl('regression'),
    }) as Record<string, unknown>;
    const cases: [string, string, string][] = [
      // Bolt 5.1 reads body.ssl_check of a null body: an unhandled rejection, the request never answered.
      ['payload=null', 'payload=null', 'application/x-www-form-urlencoded'],
      ['a JSON null body', 'null', 'application/json'],
      // Bolt's own middleware throws before any ack: it answered 500.
      ['actions not an array', payloadOf({ ...click, actions: { 0: {} } }), 'application/x-www-form-urlencoded'],
      ['actions[0] not an object', payloadOf({ ...click, actions: ['mlops_deploy'] }), 'application/x-www-form-urlencoded'],
      [
        'no user on a view submission',
        payloadOf({
          type: 'view_submission',
          team: { id: 'T0TEAM' },
          view: { callback_id: CallbackId.RejectModal, private_metadata: '{}', state: { values: {} } },
        }),
        'application/x-www-form-urlencoded',
      ],
    ];
    for (const [what, body, contentType] of cases) {
      const started = Date.now();
      const res = await t.slackPost(body, { 'content-type': contentType });
      await res.arrayBuffer();
      expect([what, res.status]).toEqual([what, 400]);
      expect(Date.now() - started).toBeLessThan(1000);
    }
    // Unsigned, the same bodies are still refused as unsigned.
    const unsigned = await fetch(`${t.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-signature': 'v0=00',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      },
      body: 'payload=null',
    });
    expect(unsigned.status).toBe(401);
    // A click without a response_url is handled (nothing to answer), not thrown on.
    const before = t.logs.lines.length;
    const { response_url: _dropped, ...noResponseUrl } = click;
    const res = await t.slackPost(payloadOf({ ...noResponseUrl, actions: [{ ...(click['actions'] as object[])[0], value: 'no-such-candidate' }] }));
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.logs.lines.slice(before).filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('reached at least 5,000 generated and mutated inputs', () => {
    expect(counts.hook + counts.command + counts.sns + counts.interaction).toBeGreaterThanOrEqual(5000);
  });
});

/** Listener runs so far (commands, actions, views): each listener records one at its end. */
async function listenerRuns(t: TestBot): Promise<number> {
  const metric = await t.bot.deps.metrics.slackRequests.get();
  return metric.values.filter((v) => v.labels.kind === 'action' || v.labels.kind === 'view').reduce((sum, v) => sum + v.value, 0);
}
