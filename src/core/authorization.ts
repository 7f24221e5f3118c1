import type { FileConfig, Principals } from '../config/config-schema';

export type Role = 'approver' | 'operator';

/**
 * Approvers of a model: its own list when it names someone (it then replaces the global one),
 * else the global list. An empty own list means the global one (contract 3): copying the
 * example's `approvers: { users: [], usergroups: [] }` must not lock everyone out.
 */
export function approversFor(config: FileConfig, model: string): Principals {
  const own = config.models[model]?.approvers;
  return own !== undefined && !isEmpty(own) ? own : config.approvers;
}

/** Operators of a model: its own list when given, else the global list. */
export function operatorsFor(config: FileConfig, model: string | undefined): Principals {
  return (model !== undefined ? config.models[model]?.operators : undefined) ?? config.operators;
}

export function isEmpty(principals: Principals): boolean {
  return principals.users.length === 0 && principals.usergroups.length === 0;
}

/** "<@U1>, <@U2> or members of <!subteam^S1>" — who may do it, for refusal messages. */
export function describePrincipals(principals: Principals): string {
  const parts = [...principals.users.map((u) => `<@${u}>`), ...principals.usergroups.map((g) => `members of <!subteam^${g}>`)];
  if (parts.length === 0) return 'nobody (no one is configured)';
  if (parts.length === 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} or ${parts.at(-1) ?? ''}`;
}
