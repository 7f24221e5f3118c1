import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Principals } from '../config/config-schema';
import { isEmpty } from '../core/authorization';
import { ErrorCode, isMlopsError } from '../core/errors';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';

/**
 * Answers "is this user one of these principals?", reading user-group membership with
 * usergroups.users.list and caching it in the store for `cacheSeconds` (shared by replicas).
 */
/** The cached member list; anything else in the key (an older format, a bad write) is read again from Slack. */
const membersSchema = z.array(z.string());

export function createPrincipalResolver(deps: { store: Store; slack: WebClient; cacheSeconds: number; logger: Logger }) {
  async function members(usergroup: string): Promise<string[]> {
    const key = storeKeys.usergroupMembers(usergroup);
    if (deps.cacheSeconds > 0) {
      const cached = await deps.store.get(key);
      const parsed = cached === null ? undefined : membersSchema.safeParse(safeJson(cached));
      if (parsed?.success === true) return parsed.data;
    }
    const res = await deps.slack.usergroups.users.list({ usergroup });
    const users = res.users ?? [];
    if (deps.cacheSeconds > 0) await deps.store.set(key, JSON.stringify(users), deps.cacheSeconds * 1000);
    return users;
  }
  return {
    /** `emptyMeansEveryone`: operators default to everyone; approvers never do. */
    async includes(userId: string, principals: Principals, emptyMeansEveryone: boolean): Promise<boolean> {
      if (isEmpty(principals)) return emptyMeansEveryone;
      if (principals.users.includes(userId)) return true;
      for (const group of principals.usergroups) {
        try {
          if ((await members(group)).includes(userId)) return true;
        } catch (error) {
          // The store (the shared membership cache) is down: "try again", not a wrong "you may not".
          if (isMlopsError(error, ErrorCode.StoreUnavailable)) throw error;
          // A group we cannot read grants nothing; the refusal message lists who may act.
          deps.logger.warn({ err: error, usergroup: group }, 'could not read user group members');
        }
      }
      return false;
    },
  };
}
export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>;

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
