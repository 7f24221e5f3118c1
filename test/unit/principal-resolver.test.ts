import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { createPrincipalResolver } from '../../src/slack/principal-resolver';
import { createStore } from '../../src/store/create-store';
import { storeKeys } from '../../src/store/store-keys';
import { startFakeSlack, type FakeSlack } from '../kit/fake-slack-server';

/** The user-group cache lives in the store, shared by replicas: what is read back from it is outside input. */
describe('principal resolver: the cached user-group members', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack();
    slack.setUsergroup('S0MLOPS', ['U0ALICE']);
  });
  afterAll(async () => {
    await slack.close();
  });

  const resolverOver = (store: ReturnType<typeof createStore>) =>
    createPrincipalResolver({
      store,
      slack: new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
      cacheSeconds: 60,
      logger: pino({ level: 'silent' }),
    });
  const group = { users: [], usergroups: ['S0MLOPS'] };

  it.each([
    ['not JSON', '{not json'],
    ['not a list', '{"users":["U0ALICE"]}'],
    ['a list of other things', '[1,2,3]'],
  ])('a cached value that is %s is read again from Slack (and the answer is right)', async (_what, raw) => {
    const store = createStore({});
    await store.set(storeKeys.usergroupMembers('S0MLOPS'), raw, 60_000);
    const before = slack.callsTo('usergroups.users.list').length;
    expect(await resolverOver(store).includes('U0ALICE', group, false)).toBe(true);
    expect(slack.callsTo('usergroups.users.list')).toHaveLength(before + 1);
    expect(JSON.parse((await store.get(storeKeys.usergroupMembers('S0MLOPS')))!)).toEqual(['U0ALICE']);
  });

  it('a good cached list is used as it is (no Slack call)', async () => {
    const store = createStore({});
    await store.set(storeKeys.usergroupMembers('S0MLOPS'), '["U0BOB"]', 60_000);
    const before = slack.callsTo('usergroups.users.list').length;
    expect(await resolverOver(store).includes('U0BOB', group, false)).toBe(true);
    expect(await resolverOver(store).includes('U0ALICE', group, false)).toBe(false);
    expect(slack.callsTo('usergroups.users.list')).toHaveLength(before);
  });
});
