import { activeFreeze, evaluateGate, freezeWindowProblem } from '../../src/core/approval-gate';

const directions = { f1: 'maximize', mse: 'minimize', recall: 'maximize' } as const;
const production = { version: '1.3.0', metrics: { f1: 0.9, mse: 0.05 } };

describe('evaluateGate', () => {
  test('primary metric against production, in its good direction, with the minimum improvement', () => {
    expect(evaluateGate({ metrics: { f1: 0.9 }, production, directions, primaryMetric: 'f1' }, { minImprovement: 0 }).passed).toBe(true);
    expect(evaluateGate({ metrics: { f1: 0.909 }, production, directions, primaryMetric: 'f1' }, { minImprovement: 0.01 }).passed).toBe(false);
    expect(evaluateGate({ metrics: { f1: 0.91 }, production, directions, primaryMetric: 'f1' }, { minImprovement: 0.01 }).passed).toBe(true);
    // minimize: lower is better
    expect(evaluateGate({ metrics: { mse: 0.04 }, production, directions, primaryMetric: 'mse' }, { minImprovement: 0.01 }).passed).toBe(true);
    expect(evaluateGate({ metrics: { mse: 0.06 }, production, directions, primaryMetric: 'mse' }, { minImprovement: 0 }).problems[0]).toContain(
      'mse 0.06 vs 0.05',
    );
  });

  test('no baseline or no primary metric passes (nothing to regress against); a missing primary value fails', () => {
    expect(evaluateGate({ metrics: { f1: 0.5 }, directions, primaryMetric: 'f1' }, { minImprovement: 0.1 }).passed).toBe(true);
    expect(evaluateGate({ metrics: { f1: 0.5 }, production, directions }, { minImprovement: 0.1 }).passed).toBe(true);
    expect(evaluateGate({ metrics: {}, production, directions, primaryMetric: 'f1' }, { minImprovement: 0 }).passed).toBe(false);
  });

  test('floors: at least for maximize, at most for minimize, missing fails', () => {
    const policy = { minImprovement: 0, floors: { recall: 0.85, mse: 0.06 } };
    expect(evaluateGate({ metrics: { recall: 0.85, mse: 0.06 }, directions }, policy).passed).toBe(true);
    expect(evaluateGate({ metrics: { recall: 0.84, mse: 0.06 }, directions }, policy).problems).toEqual(['recall 0.84 is outside its floor (at least 0.85)']);
    expect(evaluateGate({ metrics: { recall: 0.9, mse: 0.07 }, directions }, policy).problems).toEqual(['mse 0.07 is outside its floor (at most 0.06)']);
    expect(evaluateGate({ metrics: { mse: 0.01 }, directions }, policy).problems).toEqual(['recall is missing (floor: at least 0.85)']);
  });
});

describe('activeFreeze', () => {
  const weekend = [{ cron: '0 16 * * 5', durationHours: 64, timezone: 'Europe/Berlin' }];
  const at = (iso: string) => activeFreeze(weekend, new Date(iso));

  test('Friday 16:00 Berlin until Monday 08:00, start included, end excluded', () => {
    expect(at('2026-12-04T14:59:59Z')).toBeUndefined();
    expect(at('2026-12-04T15:00:00Z')?.until.toISOString()).toBe('2026-12-07T07:00:00.000Z');
    expect(at('2026-12-07T06:59:59Z')).toBeDefined();
    expect(at('2026-12-07T07:00:00Z')).toBeUndefined();
  });

  test('the start follows the zone across a DST change (16:00 CEST is 14:00 UTC); the duration is elapsed hours', () => {
    // Summer: Friday 2026-06-05 16:00 CEST = 14:00 UTC.
    expect(at('2026-06-05T13:59:00Z')).toBeUndefined();
    expect(at('2026-06-05T14:00:00Z')?.since.toISOString()).toBe('2026-06-05T14:00:00.000Z');
    // The weekend clocks go forward (2026-03-29): started 15:00 UTC Friday, 64 h later is 07:00 UTC (09:00 CEST) Monday.
    expect(at('2026-03-30T06:59:00Z')?.until.toISOString()).toBe('2026-03-30T07:00:00.000Z');
  });

  test('overlapping starts extend the window', () => {
    const hourly = [{ cron: '0 * * * *', durationHours: 2, timezone: 'UTC' }];
    const f = activeFreeze(hourly, new Date('2026-12-01T10:30:00Z'));
    expect(f?.until.getTime()).toBeGreaterThan(Date.parse('2026-12-01T12:00:00Z'));
  });

  test('settings are checked', () => {
    expect(freezeWindowProblem({ cron: '0 16 * * 5', durationHours: 1, timezone: 'Mars/Olympus' })).toContain('not a time zone');
    expect(freezeWindowProblem({ cron: '0 16 * *', durationHours: 1, timezone: 'UTC' })).toContain('5-field');
    expect(freezeWindowProblem({ cron: '0 99 * * 5', durationHours: 1, timezone: 'UTC' })).toContain('not a cron expression');
    expect(freezeWindowProblem({ cron: '0 16 * * 5', durationHours: 1, timezone: 'UTC' })).toBeUndefined();
  });
});
