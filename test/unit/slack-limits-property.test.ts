import fc from 'fast-check';
import { candidateIdFor, CANDIDATE_STATES, deploymentRunIdFor, type Candidate } from '../../src/core/candidate';
import { EVENT_BOUNDS, parsePipelineEvent, type PipelineEvent } from '../../src/core/pipeline-event';
import { approvalReplyView, type ApprovalReply } from '../../views/approval-reply-view';
import { candidateMessageView, candidateNotice } from '../../views/candidate-message-view';
import { commandErrorView } from '../../views/command-error-view';
import { deploymentEventView } from '../../views/deployment-event-view';
import { endpointStatusView } from '../../views/endpoint-status-view';
import { endpointsSummaryView } from '../../views/endpoints-summary-view';
import { errorDetailView } from '../../views/error-detail-view';
import { errorView } from '../../views/error-view';
import { failureAlertView } from '../../views/failure-alert-view';
import { helpView } from '../../views/help-view';
import { historyView, type HistoryEntry } from '../../views/history-view';
import { homeView } from '../../views/home-view';
import { modelsView, type ModelOverview } from '../../views/models-view';
import { noticeView } from '../../views/notice-view';
import { rejectModalView } from '../../views/reject-modal-view';
import { rejectedVersionView } from '../../views/rejected-version-view';
import { runTopMessageView } from '../../views/run-top-message-view';
import { SlackLimits, type SlackMessage } from '../../views/slack-message';
import { trainingConfirmView } from '../../views/training-confirm-view';
import { trainingRequestedView } from '../../views/training-requested-view';
import { trainingStartedView } from '../../views/training-started-view';
import { trainingSucceededView } from '../../views/training-succeeded-view';
import { deployConfirmingReplyView, endpointConfirmingBusyView, endpointMismatchReplyView, trainingConfirmingView } from '../../views/trigger-confirming-view';
import { watchdogNoteView } from '../../views/watchdog-note-view';
import { commandRegistry } from '../../commands/command-registry';
import { liveMarkupProblems } from './live-markup-check';
import { modalProblems, slackLimitProblems } from './slack-limit-checks';

/**
 * Issue 10 (Block Kit limits): every view, fed the LARGEST inputs the event schema allows (and
 * the largest a command, AWS or the store can hand it), stays inside every Slack limit of
 * PLATFORM-FACTS (slack-limit-checks.ts), keeps button values under 2,000 by carrying ids, and
 * leaves no live markup. The events are generated at the schema's bounds and checked to be
 * valid with parsePipelineEvent, so the bounds and the views are tested together: raising a
 * bound without fitting the views fails here.
 */
const B = EVENT_BOUNDS;
// Few runs, no shrinking: each input is at the bounds already, and shrinking 200 kB inputs takes minutes.
const RUNS = Number(process.env['LIMITS_RUNS'] ?? 20);
const now = new Date('2026-11-24T12:00:00Z');

/** One character each (no surrogate pairs, so a string of n units is n characters): mrkdwn control characters and fences. */
const nastyChar = fc.constantFrom('&', '<', '>', '`', '*', '_', '~', '|', '\n', ' ', 'a', 'é', '!', '@', '#');
/** Exactly `n` characters, or (sometimes) fewer. */
const text = (n: number, min = 1) =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.array(nastyChar, { minLength: n, maxLength: n }) },
      { weight: 1, arbitrary: fc.array(nastyChar, { minLength: min, maxLength: n }) },
    )
    .map((a) => a.join(''));
const fullText = (n: number) => fc.array(nastyChar, { minLength: n, maxLength: n }).map((a) => a.join(''));
const semverAtMax = fc
  .array(fc.constantFrom('a', 'Z', '0', '9', '.', '-'), { minLength: B.version - 6, maxLength: B.version - 6 })
  .map((a) => `1.0.0-${a.join('')}`);
/** An https URL of exactly B.url characters whose path holds what would end a Slack link. */
const urlAtMax = fc
  .array(fc.constantFrom('a', '|', '<', '>', '&', '%', '!'), { minLength: B.url - 20, maxLength: B.url - 20 })
  .map((a) => `https://a.example/${a.join('')}`.slice(0, B.url));
const userId = fc.constantFrom('U0ALICE', 'W0123456789ABCDEFGHIJKLMNOPQRS', '<!channel>', 'alice@corp.example');

const maxEvent = (type: PipelineEvent['type']) =>
  fc
    .record({
      id: fullText(B.id),
      model: fullText(B.model),
      version: semverAtMax,
      dagId: fullText(B.runPart),
      runId: fullText(B.runPart),
      url: urlAtMax,
      trainingJob: fullText(B.trainingJob),
      metricNames: fc.uniqueArray(text(B.metricName), { minLength: 1, maxLength: B.metrics }),
      labels: fc.array(fullText(B.matrixLabel), { minLength: B.matrixLabels, maxLength: B.matrixLabels }),
      endpoint: fullText(B.endpoint),
      task: fullText(B.errorTask),
      message: fc
        .constantFrom(B.errorMessage, 3000, 1201)
        .chain((n) => fc.constantFrom('<!channel>&`\n', '```', '&&&&', 'x').map((unit) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n))),
      linkNames: fc.uniqueArray(text(B.linkName), { minLength: B.links, maxLength: B.links }),
      commit: fullText(B.lineageCommit),
      image: fullText(B.lineageImage),
      data: fullText(B.lineageData),
      requestedBy: userId,
    })
    .map((r) => ({
      id: r.id,
      type,
      model: r.model,
      version: r.version,
      timestamp: '2026-11-24T10:00:00Z',
      run: { dagId: r.dagId, runId: r.runId, url: r.url },
      trainingJob: r.trainingJob,
      metrics: Object.fromEntries(r.metricNames.map((name, i) => [name, i % 3 === 0 ? -1.23456789e-7 * i : 123456789.123 * i])),
      confusionMatrix: { labels: r.labels, matrix: r.labels.map((_, i) => r.labels.map((__, j) => (i + 1) * 1e9 + j)) },
      endpoint: r.endpoint,
      error: { task: r.task, message: r.message, logUrl: r.url },
      links: Object.fromEntries(r.linkNames.map((name) => [name, r.url])),
      lineage: { commit: r.commit, image: r.image, data: r.data },
      requestedBy: r.requestedBy,
    }));

/** The schema must accept what the test calls "the largest allowed": else the bounds moved. */
function valid(raw: unknown): PipelineEvent {
  const parsed = parsePipelineEvent(raw);
  if (!parsed.ok) throw new Error(`the generated event is not valid: ${parsed.problems.slice(0, 3).join('; ')}`);
  return parsed.value;
}

function candidateOf(event: PipelineEvent, state: Candidate['state']): Candidate & { lastTriggerError?: { code: string; message: string; at: string } } {
  const id = candidateIdFor(event.model, event.version ?? '0.0.0', event.id);
  const approvals = Array.from({ length: 10 }, (_, i) => ({ userId: `U0APPROVER${i}`, at: event.timestamp }));
  return {
    id,
    model: event.model,
    version: event.version ?? '0.0.0',
    state,
    origin: 'evaluation',
    metrics: event.metrics ?? {},
    ...(event.confusionMatrix !== undefined ? { confusionMatrix: event.confusionMatrix } : {}),
    ...(event.endpoint !== undefined ? { endpoint: event.endpoint } : {}),
    ...(event.trainingJob !== undefined ? { trainingJob: event.trainingJob } : {}),
    ...(event.run !== undefined ? { run: { ...event.run } } : {}),
    ...(event.lineage !== undefined ? { lineage: { ...event.lineage } } : {}),
    ...(event.links !== undefined ? { links: event.links } : {}),
    evaluatedAt: event.timestamp,
    requestedBy: 'U0ALICE',
    supersededBy: event.version ?? '',
    requiredApprovals: 10,
    approvals,
    attempt: 9999,
    dagRunId: deploymentRunIdFor(id, 9999),
    decidedBy: 'U0BOB',
    decidedAt: event.timestamp,
    rejectReason: event.error?.message.slice(0, 1500) ?? 'x',
    failureReason: event.error?.message ?? 'x',
    createdAt: event.timestamp,
    updatedAt: event.timestamp,
    rev: 1e9,
    lastTriggerError: { code: 'AWS_TIMEOUT', message: event.error?.message ?? 'x', at: event.timestamp },
  };
}

const ALLOW = {
  users: ['U0ALICE', 'U0BOB', 'W0123456789ABCDEFGHIJKLMNOPQRS', ...Array.from({ length: 10 }, (_, i) => `U0APPROVER${i}`)],
  channels: ['C0FRAUD'],
  linkHosts: ['a.example'],
};

/** fc.assert without its counterexample dump (inputs of 200 kB): the failing view and its problems only. */
function check<T extends unknown[]>(property: fc.IProperty<T>, numRuns: number): void {
  const details = fc.check(property, { numRuns, endOnFailure: true });
  if (details.failed)
    throw new Error(
      `after ${details.numRuns} runs (seed ${details.seed}): ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
    );
}

/** Messages the bot posts with chat.postMessage / chat.update (not response_url answers): also held to SlackLimits.blocksText. */
const POSTED = { maxBlocksText: SlackLimits.blocksText };

function expectFits(name: string, message: SlackMessage, opts: { maxBlocks?: number; maxBlocksText?: number; view?: boolean } = {}): void {
  const problems = [...slackLimitProblems(message, opts), ...liveMarkupProblems(message, ALLOW)];
  if (problems.length > 0) throw new Error(`${name}:\n${problems.slice(0, 10).join('\n')}`);
}

describe('every delivery view at the largest inputs the event schema allows', () => {
  it('training, failure, error detail, deployment and run-top messages', () => {
    check(
      fc.property(
        maxEvent('training.failed'),
        fc.constantFrom(
          ...(['training.started', 'training.succeeded', 'training.failed', 'deployment.started', 'deployment.succeeded', 'deployment.failed'] as const),
        ),
        (raw, type) => {
          const event = valid({ ...raw, type });
          const job = {
            status: 'Completed',
            startedAt: '2026-11-24T09:00:00Z',
            endedAt: '2026-11-24T10:00:00Z',
            billableSeconds: 1e12,
            instanceType: 'ml.p4d.24xlarge'.repeat(20),
            instanceCount: 1e6,
          };
          const views: [string, SlackMessage][] = [
            ['training-started', trainingStartedView({ event, startedBy: event.requestedBy ?? 'U0ALICE' })],
            ['training-succeeded', trainingSucceededView({ event, job, runStartedAt: '2026-11-24T09:00:00Z' })],
            ['failure-alert', failureAlertView({ event, count: Number.MAX_SAFE_INTEGER, occurrence: 1e9, windowMinutes: 1440, modelChannel: 'C0FRAUD' })],
            [
              'error-detail',
              errorDetailView({ title: `Full error of ${event.model} ${event.version ?? ''} ${event.error?.task ?? ''}`, text: event.error?.message ?? '' }),
            ],
            [
              'deployment-event',
              deploymentEventView({
                event,
                endpoint: event.endpoint ?? 'x',
                details: {
                  status: 'UpdateRollbackFailed',
                  variants: Array.from({ length: 20 }, (_, i) => ({
                    name: event.endpoint ?? 'v',
                    modelName: event.model,
                    instanceType: 'ml.m5.24xlarge',
                    instanceCount: i,
                    weight: i / 3,
                  })),
                },
              }),
            ],
          ];
          views.push(['run-top-message', runTopMessageView({ stage: 'failed', body: views[2]![1], run: event.run ?? {} })]);
          for (const [name, message] of views) expectFits(name, message, POSTED);
        },
      ),
      RUNS,
    );
  });

  it('the evaluation message in every state, its buttons carrying ids, and the replies to a click', () => {
    check(
      fc.property(maxEvent('evaluation.completed'), fc.constantFrom(...CANDIDATE_STATES), (raw, state) => {
        const event = valid(raw);
        const c = candidateOf(event, state);
        const metricNames = Object.keys(event.metrics ?? {});
        const message = candidateMessageView({
          candidate: c,
          production: {
            model: c.model,
            version: `1.0.0-${'9'.repeat(58)}`,
            metrics: Object.fromEntries(metricNames.map((n) => [n, 1])),
            deployedAt: c.createdAt,
          },
          metricDirections: Object.fromEntries(metricNames.map((n, i) => [n, i % 2 === 0 ? 'maximize' : 'minimize'])),
          ...(metricNames[0] !== undefined ? { primaryMetric: metricNames[0] } : {}),
          deploymentDag: 'd'.repeat(250),
          ...(candidateNotice({ ...c, state: 'pending' }) !== undefined ? { notice: candidateNotice({ ...c, state: 'pending' }) } : {}),
          rollbackTo: `1.0.0-${'r'.repeat(58)}`,
        });
        expectFits(`candidate-message (${state})`, message, POSTED);
        const buttons = message.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])) as { value?: string }[];
        for (const button of buttons) expect(button.value).toBe(c.id);

        const holder = { version: c.version, since: c.createdAt, approvedBy: c.approvals.map((a) => a.userId), model: c.model };
        const replies: ApprovalReply[] = [
          { kind: 'not_found' },
          { kind: 'not_configured', problem: event.error?.message ?? '' },
          { kind: 'busy', endpoint: c.endpoint ?? '', holder, lockTimeoutMinutes: 1e6 },
          { kind: 'recorded', candidate: c },
          { kind: 'trigger_failed', message: event.error?.message ?? '' },
          { kind: 'no_rollback_target', model: c.model, version: c.version },
          { kind: 'rejected', candidate: c },
          { kind: 'unavailable' },
          ...(['self_approval', 'already_approved', 'reason_required', 'stale_attempt', 'state_conflict'] as const).map((code): ApprovalReply => ({
            kind: 'refused',
            refusal: code === 'already_approved' ? { code, approvals: 10, required: 10 } : code === 'state_conflict' ? { code, state } : { code },
            candidate: c,
          })),
        ];
        for (const reply of replies) expectFits(`approval-reply (${reply.kind})`, approvalReplyView(reply));
        const modal = rejectModalView({ candidate: c, metadata: { candidateId: c.id, channel: 'C0FRAUD', ts: '1795511523.123456' } });
        const problems = modalProblems(modal);
        if (problems.length > 0) throw new Error(`reject-modal:\n${problems.join('\n')}`);

        const confirming = {
          model: c.model,
          version: c.version,
          endpoint: c.endpoint ?? '',
          dagRunId: c.dagRunId ?? '',
          reason: event.error?.message ?? '',
          approvedBy: holder.approvedBy,
        };
        expectFits('deploy-confirming', deployConfirmingReplyView(confirming));
        expectFits('endpoint-confirming-busy', endpointConfirmingBusyView(confirming));
        expectFits('endpoint-mismatch', endpointMismatchReplyView({ candidate: c, named: c.endpoint ?? '', configured: 'e'.repeat(63) }));
        expectFits(
          'rejected-version',
          rejectedVersionView({ model: c.model, version: c.version, rejectedBy: 'U0BOB', rejectedAt: c.createdAt, reason: event.error?.message ?? '' }),
        );
      }),
      RUNS,
    );
  });

  it('the run watchdog notes (the run field reached 3,227 characters before)', () => {
    check(
      fc.property(fullText(B.model), fullText(B.runPart), fullText(B.runPart), urlAtMax, fullText(5000), (model, dagId, runId, runUrl, raw) => {
        const run = { model, dagId, runId, runUrl, minutes: 1e7, now };
        const notes = [
          watchdogNoteView({ ...run, kind: 'failed' }),
          watchdogNoteView({ ...run, kind: 'running', state: 'queued', nextNoteInMinutes: 1e7 }),
          watchdogNoteView({ ...run, kind: 'unknown', reason: 'unknown-state', raw, stopWatchingAt: now }),
          watchdogNoteView({ ...run, kind: 'unknown', reason: 'not-found' }),
          watchdogNoteView({ ...run, kind: 'unknown', reason: 'no-run-id' }),
        ];
        notes.forEach((note, i) => expectFits(`watchdog-note ${i}`, note, POSTED));
      }),
      RUNS,
    );
  });
});

describe('every command view at the largest inputs it can be handed', () => {
  /** Slack's slash command text is at most 4,000 characters: the largest typed parameter set. */
  const params = fc.array(fc.tuple(fullText(60), fullText(200)), { minLength: 1, maxLength: 20 }).map((pairs) => Object.fromEntries(pairs));

  it('train / retrain: requested, confirm, confirming, errors and notices', () => {
    check(
      fc.property(fullText(B.model), fullText(250), params, userId, fullText(4000), (model, runId, p, who, typed) => {
        expectFits('training-requested', trainingRequestedView({ model, dagId: 'd'.repeat(250), runId, requestedBy: who, retrain: false, params: p }), POSTED);
        expectFits(
          'training-confirm',
          trainingConfirmView({
            model,
            retrain: true,
            pendingId: 'p'.repeat(36),
            previous: { runId, requestedBy: who, at: now.toISOString() },
            windowMinutes: 1e6,
            now,
          }),
        );
        for (const outcome of ['confirming', 'confirmed', 'retriggered'] as const)
          expectFits(`training-confirming ${outcome}`, trainingConfirmingView({ model, dagId: 'd'.repeat(250), runId, reason: typed, outcome }));
        expectFits('error', errorView({ message: typed, hint: 'Try `/mlops help`.' }));
        expectFits(
          'command-error',
          commandErrorView({ command: '/mlops', usage: 'train <model> [key=value…]', example: 'train m', code: 'COMMAND_INVALID', message: typed }),
        );
        expectFits('notice', noticeView({ emoji: ':x:', text: typed }));
        const specs = commandRegistry();
        expectFits('help', helpView({ command: '/mlops', entries: specs, unknown: typed, suggestion: 'train' }));
        for (const spec of specs) expectFits(`help ${spec.name}`, helpView({ command: '/mlops', entries: specs, focus: spec.name }));
      }),
      RUNS,
    );
  });

  it('history, models, status and the Home tab', () => {
    const entry = fc.record({
      model: fullText(B.model),
      action: fc.constantFrom('approved', 'rejected', 'deployed', 'some_new_action'),
      actor: userId,
      version: semverAtMax,
      dagRunId: fullText(250),
      detail: fullText(1500),
    });
    const overview = fc
      .record({
        model: fullText(B.model),
        endpoint: fullText(B.endpoint),
        version: semverAtMax,
        message: fullText(10_000),
        url: urlAtMax,
        task: fullText(B.errorTask),
      })
      .map((r): ModelOverview => ({
        model: r.model,
        channel: 'C0FRAUD',
        endpoint: r.endpoint,
        deployed: { version: r.version, deployedAt: now.toISOString() },
        latestCandidate: { version: r.version, state: 'pending', createdAt: now.toISOString(), primaryMetric: { name: r.task.slice(0, 100), value: 1e300 } },
        pending: Array.from({ length: 30 }, (_, i) => ({ version: r.version, candidateId: `c${i}`, approvals: 9, required: 10, channel: 'C0FRAUD' })),
        lastFailure: { at: now.toISOString(), type: 'training.failed', task: r.task, message: r.message, logUrl: r.url },
        sagemaker: { ok: false, reason: r.message },
      }));
    check(
      fc.property(fc.array(entry, { minLength: 50, maxLength: 50 }), fc.array(overview, { minLength: 1, maxLength: 60 }), (entries, models) => {
        const audit: HistoryEntry[] = entries.map((e) => ({ ...e, at: now.toISOString(), primaryMetric: { name: e.detail.slice(0, 100), value: 0.5 } }));
        expectFits('history', historyView({ model: entries[0]!.model, entries: audit, limit: 50 }));
        expectFits('models', modelsView({ models, now }));
        const rows = models.map((m) => ({
          endpoint: m.endpoint ?? '',
          model: m.model,
          status: 'UpdateRollbackFailed',
          deployedVersion: m.deployed?.version ?? '',
          invocations: 1e15,
          p99Ms: 1e9,
          errors4xx: 1e12,
          errors5xx: 1e12,
          metricsProblem: m.lastFailure?.message ?? '',
        }));
        expectFits('endpoints-summary', endpointsSummaryView({ rows, windowMinutes: 60, now }));
        expectFits('home', homeView({ now, models, endpoints: rows, windowMinutes: 60, recent: audit }), { maxBlocks: 100, view: true });
        const m = models[0]!;
        expectFits(
          'endpoint-status',
          endpointStatusView({
            endpoint: {
              name: m.endpoint ?? 'e',
              status: 'UpdateRollbackFailed',
              failureReason: m.lastFailure?.message ?? '',
              lastModified: now,
              variants: Array.from({ length: 12 }, (_, i) => ({
                variantName: m.endpoint ?? 'v',
                modelName: m.model,
                instanceType: m.model,
                instanceCount: i,
                weight: i / 7,
              })),
            },
            model: m.model,
            deployed: { version: m.deployed?.version ?? '' },
            metrics: { unavailable: m.lastFailure?.message ?? '' },
            windowMinutes: 60,
            now,
          }),
        );
      }),
      Math.ceil(RUNS / 2),
    );
  });
});
