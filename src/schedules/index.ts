/**
 * The schedules feature's public API (contract 9, issue 15): the retraining schedules the bot
 * owns (models.<m>.retrainSchedule): the leased job that starts one run per due slot, and what
 * `/mlops schedule` lists and steers.
 */
export { createScheduleJob, SCHEDULE_JOB, type ScheduleJobOptions, type ScheduleTickReport } from './schedule-job';
export { listSchedules, pauseSchedule, resumeSchedule } from './schedule-service';
