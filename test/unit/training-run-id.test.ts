import fc from 'fast-check';
import { mapWithConcurrency } from '../../src/core/map-with-concurrency';
import { trainingRunId } from '../../src/core/training-run-id';

describe('trainingRunId', () => {
  it('is deterministic and readable', () => {
    const at = new Date('2026-11-24T10:02:03.456Z');
    expect(trainingRunId('fraud-detector', at, 'a1b2c3')).toBe('mlops_train__fraud-detector__20261124T100203Z__a1b2c3');
    expect(trainingRunId('fraud-detector', at, 'a1b2c3')).toBe(trainingRunId('fraud-detector', at, 'a1b2c3'));
  });

  it('is always a valid Airflow run id (only [A-Za-z0-9_.~:+-], at most 250 characters)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        fc.date({ min: new Date(0), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.string(),
        (model, at, nonce) => {
          const id = trainingRunId(model, at, nonce);
          expect(id).toMatch(/^[A-Za-z0-9_.~:+-]{1,250}$/);
        },
      ),
    );
  });
});

describe('mapWithConcurrency', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithConcurrency([50, 10, 30, 5, 20, 1, 15], 3, async (ms, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:50', '1:10', '2:30', '3:5', '4:20', '5:1', '6:15']);
    expect(peak).toBe(3);
  });

  it('handles empty input and refuses a bad limit', async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
    await expect(mapWithConcurrency([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
