import { parseLastFailure } from '../../src/core/parse-last-failure';

describe('parseLastFailure', () => {
  it('reads the documented shape', () => {
    const raw = JSON.stringify({
      at: '2026-11-24T09:40:00Z',
      type: 'training.failed',
      task: 'train_model',
      message: 'ResourceLimitExceeded',
      logUrl: 'https://mwaa.example.com/log',
      runId: 'r1',
    });
    expect(parseLastFailure(raw)).toEqual({
      at: '2026-11-24T09:40:00Z',
      type: 'training.failed',
      task: 'train_model',
      message: 'ResourceLimitExceeded',
      logUrl: 'https://mwaa.example.com/log',
      runId: 'r1',
    });
  });

  it('drops bad fields instead of failing, and never keeps a non-http link', () => {
    expect(parseLastFailure(JSON.stringify({ at: 'yesterday', message: 'boom', logUrl: 'javascript:alert(1)', task: 42 }))).toEqual({ message: 'boom' });
    expect(parseLastFailure(JSON.stringify({ type: 'deployment.failed' }))).toEqual({ type: 'deployment.failed', message: 'deployment.failed' });
  });

  it('takes text that is not JSON as the message, and nothing as none', () => {
    expect(parseLastFailure('OOM killed')).toEqual({ message: 'OOM killed' });
    expect(parseLastFailure(null)).toBeUndefined();
    expect(parseLastFailure('  ')).toBeUndefined();
    expect(parseLastFailure('[1,2]')).toEqual({ message: 'a failure was recorded, but its details could not be read' });
  });
});
