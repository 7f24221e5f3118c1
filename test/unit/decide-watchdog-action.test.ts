import fc from 'fast-check';
import { decideWatchdogAction, MAX_WATCH_MS, type WatchedRun, type WatchdogObservation } from '../../src/core/decide-watchdog-action';
import { isRunStale } from '../../src/core/is-run-stale';

const MIN = 60_000;
const policy = { staleAfterMs: 120 * MIN };
const started = new Date('2026-11-24T10:00:00Z');
const at = (minutes: number) => new Date(started.getTime() + minutes * MIN);
const run = (extra: Partial<WatchedRun> = {}): WatchedRun => ({
  runKey: 'run:manual__1',
  model: 'fraud-detector',
  dagId: 'fraud_detector_training',
  runId: 'manual__1',
  startedAt: started.toISOString(),
  ...extra,
});
const state = (s: 'queued' | 'running' | 'success' | 'failed' | 'unknown', raw?: string): WatchdogObservation => ({
  kind: 'state',
  state: s,
  ...(raw !== undefined ? { raw } : {}),
});

describe('isRunStale', () => {
  it('is stale only without an outcome and from staleAfter on', () => {
    expect(isRunStale(run(), at(119), policy)).toBe(false);
    expect(isRunStale(run(), at(120), policy)).toBe(true);
    expect(isRunStale(run({ outcome: 'failed' }), at(500), policy)).toBe(false);
    expect(isRunStale(run({ outcome: 'succeeded' }), at(500), policy)).toBe(false);
  });

  it('treats an unreadable start time as stale rather than hiding the run', () => {
    expect(isRunStale(run({ startedAt: 'not a date' }), at(0), policy)).toBe(true);
  });
});

describe('decideWatchdogAction', () => {
  it('alerts on a failed run, with the minutes since it started', () => {
    expect(decideWatchdogAction({ run: run(), observation: state('failed'), now: at(135), policy })).toEqual({ kind: 'alert-failed', minutes: 135 });
  });

  it('records a success quietly', () => {
    expect(decideWatchdogAction({ run: run(), observation: state('success'), now: at(130), policy })).toEqual({ kind: 'mark-succeeded' });
  });

  it('notes a running or queued run once per staleAfter', () => {
    expect(decideWatchdogAction({ run: run(), observation: state('running'), now: at(121), policy })).toEqual({
      kind: 'note-running',
      minutes: 121,
      state: 'running',
      nextNoteInMinutes: 120,
    });
    const noted = run({ lastWatchdogNoteAt: at(121).toISOString() });
    expect(decideWatchdogAction({ run: noted, observation: state('running'), now: at(200), policy })).toEqual({ kind: 'wait', reason: 'noted-recently' });
    expect(decideWatchdogAction({ run: noted, observation: state('queued'), now: at(241), policy })).toMatchObject({
      kind: 'note-running',
      state: 'queued',
      minutes: 241,
    });
  });

  it('notes an unknown or missing run once, keeps asking for one more staleAfter, then stops', () => {
    const first = decideWatchdogAction({ run: run(), observation: state('unknown', 'not_found'), now: at(120), policy });
    expect(first).toEqual({ kind: 'note-unknown', minutes: 120, reason: 'not-found', stopWatchingAt: at(240) });
    const odd = decideWatchdogAction({ run: run(), observation: state('unknown', 'up_for_retry'), now: at(120), policy });
    expect(odd).toMatchObject({ kind: 'note-unknown', reason: 'unknown-state', raw: 'up_for_retry' });

    const notedAt = at(120);
    expect(decideWatchdogAction({ run: run(), observation: state('unknown', 'not_found'), now: at(200), policy, unknownNotedAt: notedAt })).toEqual({
      kind: 'wait',
      reason: 'unknown-noted',
    });
    expect(decideWatchdogAction({ run: run(), observation: state('unknown', 'not_found'), now: at(240), policy, unknownNotedAt: notedAt })).toEqual({
      kind: 'stop-watching',
      reason: 'unknown',
    });
    // The run turned up after the note: it is handled like any other.
    expect(decideWatchdogAction({ run: run(), observation: state('failed'), now: at(200), policy, unknownNotedAt: notedAt })).toMatchObject({
      kind: 'alert-failed',
    });
  });

  it('notes a run without a run id once and stops watching it at once', () => {
    const noIds = run({ runId: undefined, dagId: undefined, runKey: 'fraud-detector@1.4.0' });
    expect(decideWatchdogAction({ run: noIds, observation: { kind: 'no-run-id' }, now: at(130), policy })).toEqual({
      kind: 'note-unknown',
      minutes: 130,
      reason: 'no-run-id',
    });
    expect(decideWatchdogAction({ run: noIds, observation: { kind: 'no-run-id' }, now: at(131), policy, unknownNotedAt: at(130) })).toEqual({
      kind: 'stop-watching',
      reason: 'unknown',
    });
  });

  it('waits on trigger errors, and gives up on runs older than the maximum watch', () => {
    const error: WatchdogObservation = { kind: 'error', code: 'MLOPS_AWS_THROTTLED', message: 'slow down' };
    expect(decideWatchdogAction({ run: run(), observation: error, now: at(130), policy })).toEqual({ kind: 'wait', reason: 'trigger-error' });
    const old = at(MAX_WATCH_MS / MIN);
    expect(decideWatchdogAction({ run: run(), observation: error, now: old, policy })).toEqual({ kind: 'stop-watching', reason: 'too-old' });
    expect(decideWatchdogAction({ run: run(), observation: state('running'), now: old, policy })).toEqual({ kind: 'stop-watching', reason: 'too-old' });
    // A failure found late is still reported.
    expect(decideWatchdogAction({ run: run(), observation: state('failed'), now: old, policy })).toMatchObject({ kind: 'alert-failed' });
  });

  it('alerts once when every check failed for the unreadable bound (default staleAfter), then waits', () => {
    const error: WatchdogObservation = { kind: 'error', code: 'MLOPS_TRIGGER_FAILED', message: 'HTTP 502' };
    const since = at(121);
    expect(decideWatchdogAction({ run: run(), observation: error, now: at(121), policy })).toEqual({ kind: 'wait', reason: 'trigger-error' });
    expect(decideWatchdogAction({ run: run(), observation: error, now: at(240), policy, unreadable: { since } })).toEqual({
      kind: 'wait',
      reason: 'trigger-error',
    });
    expect(decideWatchdogAction({ run: run(), observation: error, now: at(241), policy, unreadable: { since } })).toEqual({
      kind: 'alert-unreadable',
      minutes: 241,
      unreadableMinutes: 120,
      code: 'MLOPS_TRIGGER_FAILED',
      message: 'HTTP 502',
    });
    expect(decideWatchdogAction({ run: run(), observation: error, now: at(400), policy, unreadable: { since, alertedAt: at(241) } })).toEqual({
      kind: 'wait',
      reason: 'trigger-error',
    });
    const short = { ...policy, unreadableAlertAfterMs: 10 * MIN };
    expect(decideWatchdogAction({ run: run(), observation: error, now: at(131), policy: short, unreadable: { since } })).toMatchObject({
      kind: 'alert-unreadable',
    });
  });

  it('a run the trigger says does not exist (not_found) is noted like a missing run', () => {
    const notFound: WatchdogObservation = { kind: 'state', state: 'not_found', raw: 'not_found' };
    expect(decideWatchdogAction({ run: run(), observation: notFound, now: at(125), policy })).toMatchObject({ kind: 'note-unknown', reason: 'not-found' });
  });

  it('never posts twice within staleAfter for a running run, whatever the times (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 120, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (noteMinute, gap) => {
        const noted = run({ lastWatchdogNoteAt: at(noteMinute).toISOString() });
        const action = decideWatchdogAction({ run: noted, observation: state('running'), now: at(noteMinute + gap), policy });
        if (action.kind === 'note-running') expect(gap).toBeGreaterThanOrEqual(120);
        else expect(gap < 120 || action.kind === 'stop-watching').toBe(true);
      }),
    );
  });
});
