import { historyView, type HistoryEntry } from '../../views/history-view';
import { blocksText, slackLimitProblems } from './slack-limits-check';

const entries: HistoryEntry[] = [
  {
    at: '2026-11-24T10:05:00Z',
    model: 'fraud-detector',
    version: '1.4.0',
    action: 'deployed',
    actor: 'pipeline',
    dagRunId: 'mlops_deploy__c1__1',
    primaryMetric: { name: 'f1', value: 0.91 },
  },
  { at: '2026-11-24T10:01:00Z', model: 'fraud-detector', version: '1.4.0', action: 'approved', actor: 'U0ALICE', primaryMetric: { name: 'f1', value: 0.91 } },
  { at: '2026-11-23T09:00:00Z', model: 'fraud-detector', version: '1.3.9', action: 'rejected', actor: 'U0BOB', detail: 'recall <dropped>\nbadly' },
  { at: '2026-11-22T09:00:00Z', model: 'fraud-detector', action: 'training_requested', actor: 'U0CAROL', dagRunId: 'mlops_train__fraud-detector__x' },
];

describe('historyView', () => {
  const view = historyView({ model: 'fraud-detector', entries, limit: 10 });

  it('shows when, version, decision, who, primary metric and run, newest first', () => {
    const text = blocksText(view.blocks);
    const lines = (view.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(lines[0]).toBe(
      '• <!date^1795514700^{date_short_pretty} {time}|2026-11-24T10:05:00Z> · *1.4.0* · :large_green_circle: deployed by the pipeline · f1 0.910 · run `mlops_deploy__c1__1`',
    );
    expect(lines[1]).toContain(':white_check_mark: approved by <@U0ALICE> · f1 0.910');
    expect(lines[2]).toContain(':no_entry_sign: rejected by <@U0BOB> — _recall &lt;dropped&gt; badly_');
    expect(lines[3]).toContain(':hammer_and_wrench: training requested by <@U0CAROL>');
    expect(text).not.toContain('Newest first.'); // fewer than asked for: nothing more to show
    expect(view.text).toContain('2026-11-24 10:05 1.4.0 deployed by the pipeline; 2026-11-24 10:01 1.4.0 approved by <@U0ALICE>');
  });

  it('respects the limits with 50 long entries and points to more', () => {
    const long = Array.from({ length: 50 }, (_, i) => ({ ...entries[2], version: `1.${i}.0`, detail: 'z'.repeat(2000) }) as HistoryEntry);
    const big = historyView({ model: 'fraud-detector', entries: long, limit: 50 });
    expect(slackLimitProblems(big)).toEqual([]);
    expect(blocksText(big.blocks)).toContain('1.49.0');
    expect(blocksText(big.blocks)).toContain('`/mlops history fraud-detector 50`');
    expect(slackLimitProblems(view)).toEqual([]);
  });

  it('says when there is no history', () => {
    const empty = historyView({ model: 'churn-predictor', entries: [], limit: 10 });
    expect(empty.text).toMatch(/^No history for churn-predictor yet/);
    expect(slackLimitProblems(empty)).toEqual([]);
  });

  it('matches its snapshot', () => {
    expect(view).toMatchSnapshot();
  });
});
