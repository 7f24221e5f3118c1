import pino from 'pino';
import { captureLogs } from '../kit/capture-logs';
import { duplicateLogKeys } from '../kit/duplicate-log-keys';

describe('duplicateLogKeys (the suite-wide check that a log line carries each key once)', () => {
  it('finds a key a child binding and the call both write, as pino prints it', () => {
    const logs = captureLogs();
    const log = pino({ base: undefined }, logs.stream).child({ model: 'fraud-detector', component: 'deployments' });
    log.info({ model: 'fraud-detector', candidate: 'c1' }, 'deploy requested');
    log.info({ candidate: 'c1', nested: { model: 'x', candidate: 'y' } }, 'once each');
    expect(duplicateLogKeys(logs.lines[0]!)).toEqual(['model']);
    expect(duplicateLogKeys(logs.lines[1]!)).toEqual([]);
  });

  it('reads keys, not values or nested objects, and copes with escapes', () => {
    expect(duplicateLogKeys('{"a":"\\"a\\":1","b":{"a":1,"a":2},"c":[{"b":1}]}')).toEqual([]);
    expect(duplicateLogKeys('{"msg":"x","err":{"msg":"y"},"msg":"z"}')).toEqual(['msg']);
  });
});
