/**
 * Deployment strategies (contract 9): what a model offers at Deploy, what the approver picked, and
 * the `strategy` object the deployment DAG's conf always carries. Pure.
 */

export type StrategyOption =
  | { type: 'all-at-once' }
  | { type: 'canary'; trafficPercent: number; bakeMinutes: number }
  | { type: 'linear'; stepPercent: number; bakeMinutes: number }
  | { type: 'shadow'; samplePercent: number; durationHours: number };

/** What the DAG receives: an offered strategy, or a shadow follow-up. */
export type DeploymentStrategy = StrategyOption | { type: 'promote-shadow' } | { type: 'stop-shadow' };

export const DEFAULT_STRATEGY: StrategyOption = { type: 'all-at-once' };

/** The strategies a model offers (the first is the default; none configured = all-at-once only). */
export function offeredStrategies(configured: readonly StrategyOption[] | undefined): readonly StrategyOption[] {
  return configured !== undefined && configured.length > 0 ? configured : [DEFAULT_STRATEGY];
}

/**
 * The strategy a Deploy click chose: the picker's value is the index into the offered list. A value
 * that no longer names an entry (the config changed since the card was posted, a forged payload)
 * falls back to the default, never to a guess.
 */
export function chooseStrategy(offered: readonly StrategyOption[], picked: string | undefined): StrategyOption {
  const fallback = offered[0] ?? DEFAULT_STRATEGY;
  if (picked === undefined || !/^\d{1,2}$/.test(picked)) return fallback;
  return offered[Number(picked)] ?? fallback;
}

/** Short words for cards, pickers and thread lines ("canary 10 %, 10 min"). Plain text. */
export function describeStrategy(s: DeploymentStrategy): string {
  switch (s.type) {
    case 'all-at-once':
      return 'all at once';
    case 'canary':
      return `canary ${s.trafficPercent} %, bake ${s.bakeMinutes} min`;
    case 'linear':
      return `linear ${s.stepPercent} % steps, ${s.bakeMinutes} min each`;
    case 'shadow':
      return `shadow ${s.samplePercent} % for ${s.durationHours} h`;
    case 'promote-shadow':
      return 'promote shadow';
    case 'stop-shadow':
      return 'stop shadow';
  }
}

/** True for strategies that shift traffic in steps (Abort and roll back is offered while they run). */
export function isGradual(s: DeploymentStrategy | undefined): boolean {
  return s !== undefined && (s.type === 'canary' || s.type === 'linear');
}

/** Where a rollout stands (contract 9, deployment.progress), as stored on the candidate. */
export interface RolloutProgress {
  trafficPercent: number;
  step?: number;
  steps?: number;
  bakingUntil?: string;
  /** The event's own timestamp: an older report never overwrites a newer one (at-least-once, any order). */
  reportedAt: string;
}
