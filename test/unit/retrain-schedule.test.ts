import { decideSlot, isValidCron, isValidTimeZone, nextSlots, ON_TIME_GRACE_MS, scheduledRunId } from '../../src/core/retrain-schedule';
import { fileConfigSchema } from '../../src/config/config-schema';

const berlin = { cron: '0 3 * * *', timezone: 'Europe/Berlin', catchUp: true };

describe('retrain schedule slots (pure, croner)', () => {
  it('fires at 03:00 Berlin time across the daylight saving change (02:00Z in winter, 01:00Z in summer)', () => {
    const slots = nextSlots(berlin, new Date('2026-03-27T12:00:00Z'), 3).map((d) => d.toISOString());
    expect(slots).toEqual(['2026-03-28T02:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z']);
  });

  it('nothing due since the cursor: none; one due: run it; several missed: run only the latest (catch-up)', () => {
    expect(decideSlot(berlin, new Date('2026-11-24T01:00:00Z'), new Date('2026-11-24T01:59:59Z'))).toEqual({ kind: 'none' });
    expect(decideSlot(berlin, new Date('2026-11-24T01:00:00Z'), new Date('2026-11-24T02:00:00Z'))).toEqual({
      kind: 'run',
      slot: new Date('2026-11-24T02:00:00Z'),
      missed: 0,
    });
    expect(decideSlot(berlin, new Date('2026-11-24T01:00:00Z'), new Date('2026-11-27T09:00:00Z'))).toEqual({
      kind: 'run',
      slot: new Date('2026-11-27T02:00:00Z'),
      missed: 3,
    });
  });

  it('without catch-up a slot still runs within the grace, and is skipped after it', () => {
    const noCatchUp = { ...berlin, catchUp: false };
    const slot = Date.parse('2026-11-24T02:00:00Z');
    expect(decideSlot(noCatchUp, new Date(slot - 1000), new Date(slot + ON_TIME_GRACE_MS)).kind).toBe('run');
    expect(decideSlot(noCatchUp, new Date(slot - 1000), new Date(slot + ON_TIME_GRACE_MS + 1))).toEqual({
      kind: 'skip',
      latest: new Date(slot),
      missed: 1,
    });
  });

  it('run ids depend on model and slot only; cron and zone are validated', () => {
    expect(scheduledRunId('fraud-detector', new Date('2026-11-24T02:00:00Z'))).toBe('mlops_schedule__fraud-detector__20261124T020000Z');
    expect(isValidCron('0 3 * * *')).toBe(true);
    expect(isValidCron('0 3 * *')).toBe(false);
    expect(isValidCron('every day')).toBe(false);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('retrainSchedule in the config file (contract 9)', () => {
  const parse = (retrainSchedule: unknown) => fileConfigSchema.safeParse({ models: { 'fraud-detector': { retrainSchedule } } });
  it('defaults timezone to UTC and catchUp to true; refuses a bad cron, an unknown zone and unknown keys', () => {
    const ok = parse({ cron: '0 3 * * *' });
    expect(ok.success && ok.data.models['fraud-detector']?.retrainSchedule).toEqual({ cron: '0 3 * * *', timezone: 'UTC', catchUp: true });
    expect(parse({ cron: '0 3 * *' }).success).toBe(false);
    expect(parse({ cron: '0 3 * * *', timezone: 'Mars/Olympus' }).success).toBe(false);
    expect(parse({ cron: '0 3 * * *', every: 'day' }).success).toBe(false);
  });
});
