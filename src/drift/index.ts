/**
 * The drift feature's public API (contract 9, issue 15): `drift.detected` alerts grouped by model +
 * signal, their Retrain (a training run with conf reason "drift") and Snooze (model + signal
 * silenced until a time), and the day's drift for the daily digest. pipeline-events plans and renders the alerts through these; the
 * composition root registers the listeners.
 */
export { activeSnooze, driftGroupKey, renderDriftAlert } from './drift-alerts';
export { registerDriftListeners } from './drift-listeners';
export { noteDriftEvent, summarizeDrift, type DriftSummary } from './drift-digest';
