/** Every Slack identifier the bot registers, named in one place (checked against manifest.yml). */
export const SLASH_COMMAND = '/mlops';

export const ActionId = {
  Deploy: 'mlops_deploy',
  Reject: 'mlops_reject',
  Rollback: 'mlops_rollback',
  CancelDeploy: 'mlops_cancel_deploy',
  ConfirmTrain: 'mlops_confirm_train',
  CancelTrain: 'mlops_cancel_train',
  /** The deployment strategy select beside Deploy (its state travels with the Deploy click). */
  StrategyPick: 'mlops_strategy_pick',
  /** Abort and roll back, on a card while a canary / linear rollout runs (approvers). */
  AbortRollback: 'mlops_abort_rollback',
  /** Roll back to <previous version>, on a degraded bake report in the alert channel (approvers). */
  BakeRollback: 'mlops_bake_rollback',
  /** Promote shadow / Stop shadow, on the card of a live shadow deployment (approvers). */
  ShadowPromote: 'mlops_shadow_promote',
  ShadowStop: 'mlops_shadow_stop',
  /** Compare now, on the card of a live shadow deployment (anyone in the channel; read-only). */
  ShadowCompare: 'mlops_shadow_compare',
  /** On a drift alert: start retraining (operators), snooze 24 h, or snooze until a chosen time. */
  DriftRetrain: 'mlops_drift_retrain',
  DriftSnooze: 'mlops_drift_snooze',
  DriftSnoozeUntil: 'mlops_drift_snooze_until',
} as const;
export type ActionId = (typeof ActionId)[keyof typeof ActionId];

export const CallbackId = {
  RejectModal: 'mlops_reject_modal',
  /** Deploy past a failed gate or inside a freeze window: the reason form (contract 10). */
  DeployOverrideModal: 'mlops_deploy_override_modal',
} as const;

export const BlockId = {
  RejectReason: 'mlops_reject_reason',
  OverrideReason: 'mlops_override_reason',
} as const;
export const InputActionId = {
  RejectReason: 'reason',
  OverrideReason: 'override_reason',
} as const;

/** Events API subscriptions. */
export const SlackEvent = {
  AppHomeOpened: 'app_home_opened',
} as const;
