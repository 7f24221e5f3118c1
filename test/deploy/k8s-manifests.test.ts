import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { envSchema, fileConfigSchema } from '../../src/config/config-schema';

/**
 * deploy/k8s is plain YAML applied with `kubectl apply -k`; no cluster here, so this test parses the
 * manifests and checks what the issue asks of them: two replicas, probes on /healthz and /readyz,
 * secrets from a Secret, the config file from a ConfigMap, non-root and read-only, resource limits,
 * Redis, a Service and a PodDisruptionBudget, and that the pieces point at each other.
 */

const DIR = join(__dirname, '..', '..', 'deploy', 'k8s');

// Manifests are untyped YAML; these shapes name only what the assertions read.
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  envFrom?: { secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { runAsNonRoot?: boolean; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  volumes?: { name: string; configMap?: { name: string }; emptyDir?: object }[];
  serviceAccountName?: string;
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: { matchLabels: Record<string, string> } | Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    ports?: { name?: string; port: number; targetPort: string | number }[];
    minAvailable?: number;
    serviceName?: string;
    ingressClassName?: string;
    tls?: { hosts: string[]; secretName: string }[];
    rules?: {
      host: string;
      http: { paths: { path: string; pathType: string; backend: { service: { name: string; port: { name?: string; number?: number } } } }[] };
    }[];
  };
}
interface Kustomization {
  resources: string[];
  configMapGenerator?: { name: string; files: string[] }[];
  images?: { name: string }[];
}

const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as Kustomization;
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as Manifest;
  }),
);

function find(kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return found;
}

const workloads = manifests.filter((m) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(m.kind));
const bot = find('Deployment', 'mlops-chatops');
const botPod = bot.spec!.template!;
const botContainer = botPod.spec.containers[0]!;
const envValue = (name: string): string | undefined => botContainer.env?.find((e) => e.name === name)?.value;

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('deploy/k8s', () => {
  it('lists only files that exist and parse', () => {
    for (const file of kustomization.resources) expect(existsSync(join(DIR, file))).toBe(true);
    expect(manifests.length).toBeGreaterThanOrEqual(kustomization.resources.length);
    expect(kustomization.resources).not.toContain('secret.example.yaml'); // secrets stay out of git
  });

  it('runs the bot as a Deployment with 2 replicas, using the kustomize image', () => {
    expect(bot.spec!.replicas).toBe(2);
    expect(matches((bot.spec!.selector as { matchLabels: Record<string, string> }).matchLabels, botPod.metadata.labels)).toBe(true);
    expect(kustomization.images?.map((i) => i.name)).toContain(botContainer.image);
  });

  it('probes /healthz for liveness and /readyz for readiness on a declared port', () => {
    expect(botContainer.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(botContainer.readinessProbe?.httpGet?.path).toBe('/readyz');
    const portNames = (botContainer.ports ?? []).map((p) => p.name);
    for (const probe of [botContainer.livenessProbe, botContainer.readinessProbe, botContainer.startupProbe]) {
      if (probe?.httpGet !== undefined) expect(portNames).toContain(probe.httpGet.port);
    }
    const port = botContainer.ports!.find((p) => p.name === 'http')!.containerPort;
    expect(envValue('PORT')).toBe(String(port));
  });

  it('takes SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and PIPELINE_WEBHOOK_SECRET from a Secret, never inline', () => {
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'PIPELINE_WEBHOOK_SECRET']) {
      const entry = botContainer.env?.find((e) => e.name === name);
      const fromEnvFrom = (botContainer.envFrom ?? []).some((e) => e.secretRef !== undefined);
      expect({ name, fromSecret: entry?.valueFrom?.secretKeyRef !== undefined || (entry === undefined && fromEnvFrom) }).toEqual({ name, fromSecret: true });
      expect(entry?.value).toBeUndefined();
    }
    const example = parse(readFileSync(join(DIR, 'secret.example.yaml'), 'utf8')) as {
      kind: string;
      metadata: { name: string };
      stringData: Record<string, string>;
    };
    const refs = (botContainer.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
    for (const ref of refs) {
      expect(ref.name).toBe(example.metadata.name);
      if (ref.optional !== true) expect(Object.keys(example.stringData)).toContain(ref.key);
    }
  });

  it('mounts mlops.config.yml from the generated ConfigMap at /app/mlops.config.yml, and that file is a valid config', () => {
    const mount = botContainer.volumeMounts!.find((m) => m.mountPath === '/app/mlops.config.yml')!;
    expect(mount).toMatchObject({ subPath: 'mlops.config.yml', readOnly: true });
    const volume = botPod.spec.volumes!.find((v) => v.name === mount.name)!;
    const generator = kustomization.configMapGenerator!.find((g) => g.name === volume.configMap?.name)!;
    expect(generator.files).toContain('mlops.config.yml');
    expect(envValue('MLOPS_CONFIG')).toBe('/app/mlops.config.yml');

    const config = fileConfigSchema.safeParse(parse(readFileSync(join(DIR, 'mlops.config.yml'), 'utf8')));
    expect(config.success ? [] : config.error.issues).toEqual([]);
  });

  it('gives the bot env values the bot itself accepts, with REDIS_URL pointing at the Redis Service', () => {
    const env = Object.fromEntries((botContainer.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    const parsed = envSchema.safeParse({ ...env, SLACK_BOT_TOKEN: 'xoxb-test', PIPELINE_WEBHOOK_SECRET: 'x'.repeat(32) });
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);

    const redisUrl = new URL(env.REDIS_URL!);
    const redisService = find('Service', redisUrl.hostname);
    expect(redisService.spec!.ports!.map((p) => p.port)).toContain(Number(redisUrl.port));
  });

  it('runs Redis as a workload behind that Service, on a persistent volume', () => {
    const service = find('Service', 'mlops-redis');
    const redis = workloads.find((w) => w.spec!.template!.spec.containers.some((c) => c.image.startsWith('redis')))!;
    expect(redis).toBeDefined();
    expect(matches(service.spec!.selector as Record<string, string>, redis.spec!.template!.metadata.labels)).toBe(true);
    const redisContainer = redis.spec!.template!.spec.containers[0]!;
    expect(redisContainer.volumeMounts?.some((m) => m.mountPath === '/data')).toBe(true);
  });

  it('exposes the bot with a Service whose selector and targetPort match the pods', () => {
    const service = find('Service', 'mlops-chatops');
    expect(matches(service.spec!.selector as Record<string, string>, botPod.metadata.labels)).toBe(true);
    const names = (botContainer.ports ?? []).map((p) => p.name);
    for (const port of service.spec!.ports!) expect(names).toContain(port.targetPort);
  });

  it('keeps a PodDisruptionBudget that leaves at least one bot replica and still allows drains', () => {
    const pdb = find('PodDisruptionBudget', 'mlops-chatops');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(matches((pdb.spec!.selector as { matchLabels: Record<string, string> }).matchLabels, botPod.metadata.labels)).toBe(true);
    expect(pdb.spec!.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec!.minAvailable).toBeLessThan(bot.spec!.replicas!);
  });

  it.each(workloads.map((w) => [`${w.kind}/${w.metadata.name}`, w] as const))(
    '%s runs non-root, read-only, without capabilities, with requests and limits',
    (_name, workload) => {
      const pod = workload.spec!.template!.spec;
      for (const container of pod.containers) {
        const nonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        expect({ container: container.name, nonRoot }).toEqual({ container: container.name, nonRoot: true });
        expect(pod.securityContext?.runAsUser ?? 0).toBeGreaterThan(0);
        expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        for (const key of ['cpu', 'memory']) {
          expect(container.resources?.requests?.[key]).toBeDefined();
          expect(container.resources?.limits?.[key]).toBeDefined();
        }
      }
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
    },
  );
});

/** Kubernetes quantity (Mi, Gi, M, G, plain) in bytes. */
function k8sBytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity);
  if (m === null) throw new Error(`unexpected quantity ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 }[m[2] ?? ''] ?? 1;
  return Number(m[1]) * unit;
}

/** Redis memory setting (redis.conf units: 1mb = 1048576, 1m = 1000000) in bytes. */
function redisBytes(value: string): number {
  const m = /^(\d+)(kb|mb|gb|k|m|g)?$/i.exec(value);
  if (m === null) throw new Error(`unexpected redis size ${value}`);
  const unit = { kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30, k: 1e3, m: 1e6, g: 1e9 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

describe('deploy/k8s: Redis, HTTPS and the namespace (issue 18, issue 10)', () => {
  const redis = workloads.find((w) => w.spec!.template!.spec.containers.some((c) => c.image.startsWith('redis')))!;
  const redisContainer = redis.spec!.template!.spec.containers[0]!;
  const redisArgs = [...(redisContainer.command ?? []), ...(redisContainer.args ?? [])];
  const option = (name: string): string | undefined => {
    const at = redisArgs.indexOf(`--${name}`);
    return at >= 0 ? redisArgs[at + 1] : undefined;
  };
  const secretKeys = Object.keys((parse(readFileSync(join(DIR, 'secret.example.yaml'), 'utf8')) as { stringData: Record<string, string> }).stringData);
  const secretKeyOf = (c: Container, env: string) => c.env?.find((e) => e.name === env)?.valueFrom?.secretKeyRef;

  it('Redis requires a password taken from the Secret, and does not turn protected mode off', () => {
    const password = /^\$\(([A-Z_]+)\)$/.exec(option('requirepass') ?? '')?.[1];
    expect(password).toBeDefined();
    const ref = secretKeyOf(redisContainer, password!);
    expect(ref?.name).toBe('mlops-chatops-secrets');
    expect(secretKeys).toContain(ref?.key);
    expect(option('protected-mode')).not.toBe('no');
    // The probes authenticate too (redis-cli reads REDISCLI_AUTH), with the same key.
    expect(secretKeyOf(redisContainer, 'REDISCLI_AUTH')?.key).toBe(ref?.key);
    for (const probe of [redisContainer.livenessProbe, redisContainer.readinessProbe]) expect(probe?.exec?.command[0]).toBe('redis-cli');
  });

  it('the bot connects with that password: REDIS_URL embeds $(REDIS_PASSWORD) declared earlier from the same Secret key', () => {
    const env = botContainer.env ?? [];
    const url = env.find((e) => e.name === 'REDIS_URL')?.value ?? '';
    const variable = /^redis:\/\/:\$\(([A-Z_]+)\)@/.exec(url)?.[1];
    expect(variable).toBeDefined();
    const declaredAt = env.findIndex((e) => e.name === variable);
    expect(declaredAt).toBeGreaterThanOrEqual(0);
    expect(declaredAt).toBeLessThan(env.findIndex((e) => e.name === 'REDIS_URL')); // Kubernetes expands only earlier variables
    const redisPasswordKey = /^\$\(([A-Z_]+)\)$/.exec(option('requirepass') ?? '')?.[1];
    expect(secretKeyOf(botContainer, variable!)?.key).toBe(secretKeyOf(redisContainer, redisPasswordKey!)?.key);
    // What the bot receives once expanded (a hex password) is a URL it accepts.
    const parsed = envSchema.safeParse({ REDIS_URL: url.replace(`$(${variable})`, 'ab'.repeat(32)), SLACK_BOT_TOKEN: 'xoxb-test' });
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('Redis never evicts (maxmemory-policy noeviction) and says "full" below the container memory limit, with headroom for AOF rewrites', () => {
    expect(option('maxmemory-policy')).toBe('noeviction');
    const maxmemory = redisBytes(option('maxmemory') ?? '0');
    const limit = k8sBytes(redisContainer.resources!.limits!['memory']!);
    expect(maxmemory).toBeGreaterThan(0);
    expect(maxmemory).toBeLessThanOrEqual(limit * 0.8);
    expect(option('appendonly')).toBe('yes');
  });

  it('an Ingress serves the three public routes over TLS to the bot Service, and nothing else (/metrics stays inside)', () => {
    const ingress = manifests.find((m) => m.kind === 'Ingress');
    expect(ingress?.apiVersion).toBe('networking.k8s.io/v1');
    const spec = ingress!.spec!;
    const hosts = spec.rules!.map((r) => r.host);
    const tlsHosts = spec.tls!.flatMap((t) => t.hosts);
    expect(hosts.filter((h) => !tlsHosts.includes(h))).toEqual([]);
    const service = find('Service', 'mlops-chatops');
    const paths = spec.rules!.flatMap((r) => r.http.paths);
    for (const p of paths) {
      expect(p.backend.service.name).toBe('mlops-chatops');
      expect(service.spec!.ports!.map((sp) => sp.name)).toContain(p.backend.service.port.name);
    }
    expect(paths.map((p) => p.path).sort()).toEqual(['/hooks/pipeline', '/hooks/sns', '/slack/events']);
    for (const internal of ['/metrics', '/healthz', '/readyz']) {
      expect(paths.filter((p) => p.pathType !== 'Exact' && internal.startsWith(p.path))).toEqual([]);
    }
  });

  it('the docs create the namespace from namespace.yaml (no `kubectl create namespace` that apply -k then warns about), before the Secret', () => {
    expect(kustomization.resources).toContain('namespace.yaml');
    for (const doc of ['docs/connect-your-pipeline.md', 'README.md', 'deploy/k8s/secret.example.yaml', 'deploy/k8s/kustomization.yaml']) {
      const text = readFileSync(join(DIR, '..', '..', doc), 'utf8');
      expect({ doc, createNamespace: /kubectl\s+create\s+(namespace|ns)\b/.test(text) }).toEqual({ doc, createNamespace: false });
    }
    const guide = readFileSync(join(DIR, '..', '..', 'docs', 'connect-your-pipeline.md'), 'utf8');
    const applyNamespace = guide.indexOf('kubectl apply -f deploy/k8s/namespace.yaml');
    expect(applyNamespace).toBeGreaterThanOrEqual(0);
    expect(applyNamespace).toBeLessThan(guide.indexOf('create secret generic mlops-chatops-secrets'));
    expect(guide).toMatch(/--from-literal=REDIS_PASSWORD=/);
  });
});
