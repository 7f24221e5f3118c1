import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { z } from 'zod';
import * as slackIds from '../../src/slack/slack-ids';
import { SLACK_EVENTS_PATH } from '../../src/slack/create-slack-app';

/**
 * manifest.yml against the code, read at run time so the check stays right as listeners are added:
 * every slash command, event, view callback id (and shortcut) that a Bolt listener registers is
 * declared in the manifest, and the reverse. Listeners are found by parsing src/ and commands/ with
 * the TypeScript compiler: every `app.command(…)`, `app.event(…)`, `app.action(…)`, `app.view(…)`,
 * `app.shortcut(…)`, `app.options(…)`, `app.message(…)` call, whose first argument must be a constant
 * of src/slack/slack-ids.ts (the one place ids are named). Action ids are not in manifests: instead,
 * every ActionId the code uses (buttons in views) has an `app.action` listener, and every
 * `app.action` listener's id is used by something that sends it.
 */

const ROOT = join(__dirname, '..', '..');
const SCANNED = ['src', 'commands', 'views'];
const LISTENER_METHODS = ['command', 'event', 'action', 'view', 'shortcut', 'options', 'message'] as const;
type ListenerMethod = (typeof LISTENER_METHODS)[number];
/** The constant objects of slack-ids.ts and the listener kind each one names. */
const ID_GROUPS: Record<string, ListenerMethod> = { ActionId: 'action', CallbackId: 'view', SlackEvent: 'event' };

interface Listener {
  method: ListenerMethod;
  /** Resolved id (command, event type, action id, callback id), or undefined when not a slack-ids constant. */
  id: string | undefined;
  /** The argument as written, for messages. */
  written: string;
  where: string;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `ActionId.Deploy` -> its value; `SLASH_COMMAND` -> '/mlops'; anything else undefined. */
function resolveConstant(node: ts.Expression): { group?: string; value: string } | undefined {
  const ids = slackIds as unknown as Record<string, unknown>;
  if (ts.isIdentifier(node) && typeof ids[node.text] === 'string') return { value: ids[node.text] as string };
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const group = ids[node.expression.text];
    if (typeof group === 'object' && group !== null) {
      const value = (group as Record<string, unknown>)[node.name.text];
      if (typeof value === 'string') return { group: node.expression.text, value };
    }
  }
  return undefined;
}

/** The receiver is Bolt's app: `app.x(…)`, `deps.app.x(…)`, `this.app.x(…)`. */
function isAppReceiver(node: ts.Expression): boolean {
  return (ts.isIdentifier(node) && node.text === 'app') || (ts.isPropertyAccessExpression(node) && node.name.text === 'app');
}

function codeFiles(): { rel: string; text: string }[] {
  return SCANNED.flatMap((d) => tsFiles(join(ROOT, d)))
    .map((file) => ({ rel: relative(ROOT, file), text: readFileSync(file, 'utf8') }))
    .filter((f) => f.rel !== join('src', 'slack', 'slack-ids.ts'));
}

function scanCode(files: { rel: string; text: string }[]): { listeners: Listener[]; actionIdUses: Map<string, string[]> } {
  const listeners: Listener[] = [];
  const actionIdUses = new Map<string, string[]>();
  const registrationArgs = new Set<ts.Node>();
  for (const { rel, text } of files) {
    const source = ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true);
    const where = (node: ts.Node) => `${rel}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        isAppReceiver(node.expression.expression) &&
        (LISTENER_METHODS as readonly string[]).includes(node.expression.name.text)
      ) {
        const method = node.expression.name.text as ListenerMethod;
        const arg = node.arguments[0];
        let idNode: ts.Expression | undefined = arg;
        // Constraint objects: app.action({ action_id: ActionId.X, block_id }), app.view({ callback_id, type }).
        if (arg !== undefined && ts.isObjectLiteralExpression(arg)) {
          const key = method === 'action' ? 'action_id' : method === 'event' ? 'type' : 'callback_id';
          const prop = arg.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === key);
          idNode = prop?.initializer;
        }
        if (idNode !== undefined) registrationArgs.add(idNode);
        const resolved = idNode !== undefined ? resolveConstant(idNode) : undefined;
        listeners.push({
          method,
          id: method === 'message' ? (resolved?.value ?? 'message') : resolved?.value,
          written: arg?.getText(source) ?? '(none)',
          where: where(node),
        });
      }
      if (ts.isPropertyAccessExpression(node) && !registrationArgs.has(node)) {
        const resolved = resolveConstant(node);
        if (resolved?.group === 'ActionId') actionIdUses.set(resolved.value, [...(actionIdUses.get(resolved.value) ?? []), where(node)]);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { listeners, actionIdUses };
}

const manifestSchema = z.object({
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().max(140).optional(),
    long_description: z.string().min(174).max(4000).optional(),
    background_color: z
      .string()
      .regex(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/)
      .optional(),
  }),
  features: z.object({
    app_home: z.object({ home_tab_enabled: z.boolean(), messages_tab_enabled: z.boolean(), messages_tab_read_only_enabled: z.boolean() }).partial().optional(),
    bot_user: z.strictObject({ display_name: z.string().regex(/^[a-z0-9._-]{1,80}$/), always_online: z.boolean().optional() }),
    slash_commands: z
      .array(
        z.strictObject({
          command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
          url: z.url({ protocol: /^https$/ }).optional(),
          description: z.string().min(1).max(2000),
          usage_hint: z.string().max(1000).optional(),
          should_escape: z.boolean().optional(),
        }),
      )
      .max(50)
      .default([]),
    shortcuts: z
      .array(z.object({ name: z.string(), type: z.enum(['message', 'global']), callback_id: z.string().max(255), description: z.string().max(150) }))
      .max(10)
      .default([]),
  }),
  oauth_config: z.strictObject({
    scopes: z.strictObject({ bot: z.array(z.string()).min(1), user: z.array(z.string()).optional() }),
    redirect_urls: z.array(z.url()).optional(),
  }),
  settings: z.strictObject({
    event_subscriptions: z
      .strictObject({ request_url: z.url({ protocol: /^https$/ }).optional(), bot_events: z.array(z.string()).max(100).default([]) })
      .optional(),
    interactivity: z
      .strictObject({
        is_enabled: z.boolean(),
        request_url: z.url({ protocol: /^https$/ }).optional(),
        message_menu_options_url: z.url({ protocol: /^https$/ }).optional(),
      })
      .optional(),
    org_deploy_enabled: z.boolean().optional(),
    socket_mode_enabled: z.boolean().optional(),
    token_rotation_enabled: z.boolean().optional(),
  }),
});
type Manifest = z.infer<typeof manifestSchema>;

/** Event names Slack accepts in a manifest, from @slack/web-api's own manifest type. */
function knownManifestEvents(): Set<string> {
  const dts = readFileSync(require.resolve('@slack/web-api/dist/types/request/manifest.d.ts'), 'utf8');
  const union = /type ManifestEvent = ([^;]+);/.exec(dts)?.[1] ?? '';
  return new Set([...union.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
}

/** The scopes README.md lists under "Scopes and why". */
function readmeScopes(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const paragraph = /Scopes and why:([\s\S]*?)\n\s*\n/.exec(readme)?.[1] ?? '';
  return new Set([...paragraph.matchAll(/`([a-z_.]+(?::[a-z_.]+)?)`/g)].map((m) => m[1]!).filter((s) => s.includes(':') || s === 'commands'));
}

const manifestText = readFileSync(join(ROOT, 'manifest.yml'), 'utf8');
const manifest: Manifest = manifestSchema.parse(parse(manifestText));
const { listeners, actionIdUses } = scanCode(codeFiles());
const ids = (method: ListenerMethod) => new Set(listeners.filter((l) => l.method === method && l.id !== undefined).map((l) => l.id!));
const sorted = (s: Iterable<string>) => [...s].sort();

describe('the listener scanner', () => {
  it('resolves constants, constraint objects and generic calls; flags literals; counts uses apart from registrations', () => {
    const text = [
      'app.command(SLASH_COMMAND, h);',
      'app.action<BlockAction<ButtonAction>>(ActionId.Deploy, h);',
      "app.action({ action_id: ActionId.Reject, block_id: 'x' }, h);",
      "deps.app.view({ callback_id: CallbackId.RejectModal, type: 'view_submission' }, h);",
      'this.app.event(SlackEvent.AppHomeOpened, h);',
      "app.action('mlops_literal', h);",
      'client.views.open({ view });', // not a listener
      'const button = { action_id: ActionId.Rollback };',
    ].join('\n');
    const { listeners: found, actionIdUses: uses } = scanCode([{ rel: 'fixture.ts', text }]);
    expect(found.map((l) => [l.method, l.id])).toEqual([
      ['command', slackIds.SLASH_COMMAND],
      ['action', slackIds.ActionId.Deploy],
      ['action', slackIds.ActionId.Reject],
      ['view', slackIds.CallbackId.RejectModal],
      ['event', slackIds.SlackEvent.AppHomeOpened],
      ['action', undefined],
    ]);
    expect([...uses.keys()]).toEqual([slackIds.ActionId.Rollback]);
    expect(uses.get(slackIds.ActionId.Rollback)).toEqual(['fixture.ts:8']);
  });
});

describe('manifest.yml against the code', () => {
  it('finds the listeners (the scanner works): /mlops is registered', () => {
    expect(listeners.some((l) => l.method === 'command' && l.id === slackIds.SLASH_COMMAND)).toBe(true);
  });

  it('every listener names its id with a constant from src/slack/slack-ids.ts', () => {
    const loose = listeners.filter((l) => l.method !== 'message' && l.id === undefined).map((l) => `${l.where}: app.${l.method}(${l.written})`);
    expect(loose).toEqual([]);
    // And with a constant of the right group: ActionId for actions, CallbackId for views, SlackEvent for events.
    for (const [group, method] of Object.entries(ID_GROUPS)) {
      const values = new Set(Object.values((slackIds as unknown as Record<string, Record<string, string>>)[group]!));
      const wrong = listeners
        .filter((l) => l.method === method && l.id !== undefined && !values.has(l.id))
        .map((l) => `${l.where}: ${l.written} is not a ${group}`);
      expect(wrong).toEqual([]);
    }
  });

  it('slash commands: registered == declared', () => {
    expect(sorted(manifest.features.slash_commands.map((c) => c.command))).toEqual(sorted(ids('command')));
  });

  it('events: registered == subscribed (bot_events), and each is an event Slack knows', () => {
    const subscribed = manifest.settings.event_subscriptions?.bot_events ?? [];
    const registered = ids('event');
    // app.message listens to message events: it needs at least one message.* subscription.
    const needsMessages = listeners.some((l) => l.method === 'message');
    const messageEvents = subscribed.filter((e) => e.startsWith('message.'));
    expect(sorted(subscribed.filter((e) => !e.startsWith('message.')))).toEqual(sorted([...registered].filter((e) => !e.startsWith('message.'))));
    expect(messageEvents.length > 0).toBe(needsMessages || [...registered].some((e) => e.startsWith('message')));
    const known = knownManifestEvents();
    expect(known.size).toBeGreaterThan(50);
    expect(subscribed.filter((e) => !known.has(e))).toEqual([]);
    expect(new Set(subscribed).size).toBe(subscribed.length);
  });

  it('App Home: app_home_opened is handled exactly when the Home tab is enabled', () => {
    expect(manifest.features.app_home?.home_tab_enabled ?? false).toBe(ids('event').has(slackIds.SlackEvent.AppHomeOpened));
  });

  it('view callback ids: every CallbackId has an app.view listener, and every listener a CallbackId', () => {
    expect(sorted(ids('view'))).toEqual(sorted(Object.values(slackIds.CallbackId)));
  });

  it('shortcuts: registered == declared', () => {
    expect(sorted(manifest.features.shortcuts.map((s) => s.callback_id))).toEqual(sorted(ids('shortcut')));
  });

  it('interactivity is enabled (with a request URL unless Socket Mode) when any action, view, shortcut or options listener exists', () => {
    const interactive = listeners.some((l) => ['action', 'view', 'shortcut', 'options'].includes(l.method));
    if (interactive) expect(manifest.settings.interactivity?.is_enabled).toBe(true);
    if (listeners.some((l) => l.method === 'options')) expect(manifest.settings.interactivity?.message_menu_options_url).toBeDefined();
    if (manifest.settings.interactivity?.is_enabled === true && manifest.settings.socket_mode_enabled !== true) {
      expect(manifest.settings.interactivity.request_url).toBeDefined();
    }
  });

  it('action ids: every ActionId the code uses has an app.action listener, and every listener is for an ActionId the code sends', () => {
    const used = new Set(actionIdUses.keys());
    const registered = ids('action');
    const unhandled = [...used]
      .filter((id) => !registered.has(id))
      .map((id) => `${id} (used at ${actionIdUses.get(id)!.join(', ')}) has no app.action listener`);
    const unused = [...registered].filter((id) => !used.has(id)).map((id) => `app.action(${id}) listens for an id nothing sends`);
    expect([...unhandled, ...unused]).toEqual([]);
  });

  it('request URLs: one https origin, all on the Bolt path, unless Socket Mode', () => {
    const urls = [
      ...manifest.features.slash_commands.map((c) => c.url),
      manifest.settings.event_subscriptions?.request_url,
      manifest.settings.interactivity?.request_url,
    ].filter((u): u is string => u !== undefined);
    if (manifest.settings.socket_mode_enabled !== true) {
      expect(urls.length).toBe(
        manifest.features.slash_commands.length + (manifest.settings.event_subscriptions ? 1 : 0) + (manifest.settings.interactivity?.is_enabled ? 1 : 0),
      );
    }
    expect(new Set(urls.map((u) => new URL(u).origin)).size).toBeLessThanOrEqual(1);
    for (const url of urls) expect(new URL(url).pathname).toBe(SLACK_EVENTS_PATH);
    // The README tells operators to replace this placeholder: keep the two in step.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const origin of new Set(urls.map((u) => new URL(u).origin))) expect(readme).toContain(origin);
  });

  it('scopes: exactly the README list (bot scopes only, no duplicates, no user scopes)', () => {
    const bot = manifest.oauth_config.scopes.bot;
    expect(new Set(bot).size).toBe(bot.length);
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
    const listed = readmeScopes();
    expect(listed.size).toBeGreaterThan(0);
    expect(sorted(bot)).toEqual(sorted(listed));
    // Every slash command needs `commands`; nothing else adds one silently.
    expect(bot.includes('commands')).toBe(manifest.features.slash_commands.length > 0);
    expect(bot).toContain('chat:write');
  });

  it('the manifest is the Slack shape the README describes (no leftover keys, tokens not rotated)', () => {
    const raw = parse(manifestText) as Record<string, unknown>;
    expect(Object.keys(raw).sort()).toEqual(['display_information', 'features', 'oauth_config', 'settings']);
    // Bolt here uses a long-lived bot token; rotation would need an installation store.
    expect(manifest.settings.token_rotation_enabled ?? false).toBe(false);
  });
});
