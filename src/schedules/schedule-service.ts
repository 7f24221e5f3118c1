import type { BotDeps } from '../bot-deps';
import { nextSlots } from '../core/retrain-schedule';
import type { ScheduleLine } from '../../views/schedule-view';
import { readScheduleState, updateScheduleState } from './schedule-state';

/** What `/mlops schedule` and the Home tab show: per model, its schedule, next due times, pause and last slot. */
export async function listSchedules(deps: Pick<BotDeps, 'config' | 'store' | 'clock'>, models: readonly string[], count = 3): Promise<ScheduleLine[]> {
  const now = deps.clock.now();
  return Promise.all(
    models.map(async (model): Promise<ScheduleLine> => {
      const schedule = deps.config.file.models[model]?.retrainSchedule;
      if (schedule === undefined) return { model, next: [] };
      const state = await readScheduleState(deps.store, model);
      return {
        model,
        schedule,
        next: nextSlots(schedule, now, count).map((d) => d.toISOString()),
        ...(state?.paused !== undefined ? { paused: state.paused } : {}),
        ...(state?.last !== undefined ? { last: state.last } : {}),
      };
    }),
  );
}

/** Pauses the model's schedule (its slots are skipped until resumed) and audits who and why. */
export async function pauseSchedule(deps: Pick<BotDeps, 'store' | 'clock' | 'audit'>, model: string, userId: string, reason: string): Promise<void> {
  const at = deps.clock.now().toISOString();
  await updateScheduleState(deps.store, model, (s) => ({ ...(s ?? { cursor: at }), paused: { by: userId, at, reason } }));
  await deps.audit.append({ at, model, action: 'schedule_paused', actor: userId, detail: reason });
}

/** Resumes it from now: slots due while it was paused are not caught up. */
export async function resumeSchedule(deps: Pick<BotDeps, 'store' | 'clock' | 'audit'>, model: string, userId: string, reason: string): Promise<void> {
  const at = deps.clock.now().toISOString();
  await updateScheduleState(deps.store, model, (s) => {
    if (s === undefined) return { cursor: at };
    const { paused: _paused, ...rest } = s;
    return { ...rest, cursor: at };
  });
  await deps.audit.append({ at, model, action: 'schedule_resumed', actor: userId, detail: reason });
}
