import type { Candidate } from '../core/candidate';
import { ErrorCode, MlopsError } from '../core/errors';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';
import { updateJsonWith } from '../store/update-json';

/** Candidates are kept 90 days: long enough for history and rollbacks, bounded for Redis. */
const CANDIDATE_TTL_MS = 90 * 24 * 60 * 60 * 1000;

export type UpdateDecision<T> = { write: Candidate; result: T } | { write?: undefined; result: T };

/**
 * Candidate records in the store. Every change is a compare-and-set on the record's exact JSON,
 * retried on contention, so concurrent clicks on several replicas serialise on the store.
 */
export function createCandidateRepository(store: Store, log?: Pick<Logger, 'warn'>) {
  async function read(id: string): Promise<{ raw: string; candidate: Candidate } | undefined> {
    const raw = await store.get(storeKeys.candidate(id));
    return raw === null ? undefined : { raw, candidate: JSON.parse(raw) as Candidate };
  }
  return {
    async get(id: string): Promise<Candidate | undefined> {
      return (await read(id))?.candidate;
    },
    /** Creates the record; false when a candidate with this id exists already (idempotent create). */
    async create(candidate: Candidate): Promise<boolean> {
      const created = await store.compareAndSet(storeKeys.candidate(candidate.id), null, JSON.stringify(candidate), CANDIDATE_TTL_MS);
      if (created) await store.setAdd(storeKeys.modelCandidates(candidate.model), candidate.id);
      return created;
    },
    /**
     * Reads, lets `decide` compute the next record (or refuse), and writes it atomically; if
     * another writer got there first, re-reads and decides again. `decide` must be pure.
     */
    async update<T>(id: string, decide: (current: Candidate) => UpdateDecision<T>): Promise<T> {
      return updateJsonWith<Candidate, T>(
        store,
        storeKeys.candidate(id),
        {
          ttlMs: CANDIDATE_TTL_MS,
          tooFast: () => new MlopsError(ErrorCode.CandidateStateConflict, `candidate ${id} is changing too fast; try again`, { candidateId: id }),
        },
        (current) => {
          if (current === undefined)
            throw new MlopsError(ErrorCode.CandidateNotFound, `candidate ${id} is not known (it may have expired)`, { candidateId: id });
          const decision = decide(current);
          return decision.write === undefined ? { result: decision.result } : { write: { ...decision.write, rev: current.rev + 1 }, result: decision.result };
        },
      );
    },
    async listByModel(model: string): Promise<Candidate[]> {
      const ids = await store.setMembers(storeKeys.modelCandidates(model));
      if (ids.length === 0) return [];
      const raws = await store.getMany(ids.map((id) => storeKeys.candidate(id)));
      const out: Candidate[] = [];
      raws.forEach((raw, i) => {
        // An expired candidate's id is dropped from the index in the background; a failure only leaves it for next time.
        if (raw === null) {
          store
            .setRemove(storeKeys.modelCandidates(model), ids[i] ?? '')
            .catch((error: unknown) =>
              log?.warn({ err: error, model, candidateId: ids[i] }, 'could not drop an expired candidate from the model index; will retry on the next listing'),
            );
        } else out.push(JSON.parse(raw) as Candidate);
      });
      return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
  };
}
export type CandidateRepository = ReturnType<typeof createCandidateRepository>;
