/**
 * The services a test bed runs: the spec of a busybox httpd service that serves its own host name, and a scale
 * that survives the manager's own version bumps.
 */
import type Dockerode from 'dockerode';

/** Settings of a test service created with {@link SwarmTestbed.createHttpService}. */
export interface TestServiceOptions {
  /** Service name. */
  readonly name: string;
  /** Replicas; ignored when `global`. @defaultValue 1 */
  readonly replicas?: number;
  /** One task per node instead of replicas. @defaultValue false */
  readonly global?: boolean;
  /** Port busybox httpd listens on in the container. @defaultValue 8080 */
  readonly targetPort?: number;
  /** How the port is published; `none` publishes nothing. @defaultValue 'host' */
  readonly publishMode?: 'host' | 'ingress' | 'none';
  /** Fixed published port; random from 30000 up when absent. */
  readonly publishedPort?: number;
  /** @defaultValue 'vip' */
  readonly endpointMode?: 'vip' | 'dnsrr';
  /** Networks (names or IDs) to attach. */
  readonly networks?: readonly string[];
  /** Service labels. */
  readonly labels?: Record<string, string>;
  /** Placement constraints, e.g. `node.role==worker`. */
  readonly constraints?: readonly string[];
  /** Delay before swarm replaces a task that died (a longer one makes the dead task's removal observable). @defaultValue 100 */
  readonly restartDelayMs?: number;
  /** Further ports busybox httpd serves on besides `targetPort` (for port-change tests). @defaultValue none */
  readonly extraListenPorts?: readonly number[];
}

/** The Engine API spec of a service running busybox httpd (image `image`) that serves `<service>-<slot>` at `/`. */
export function httpServiceSpec(image: string, options: TestServiceOptions): Record<string, unknown> {
  const targetPort = options.targetPort ?? 8080;
  const publishMode = options.publishMode ?? 'host';
  const ports =
    publishMode === 'none'
      ? []
      : [
          {
            Protocol: 'tcp',
            TargetPort: targetPort,
            PublishMode: publishMode,
            ...(options.publishedPort === undefined ? {} : { PublishedPort: options.publishedPort }),
          },
        ];
  const extra = (options.extraListenPorts ?? []).map((port) => `httpd -p ${port} -h /www; `).join('');
  return {
    Name: options.name,
    Labels: options.labels ?? {},
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Init: true,
        Hostname: '{{.Service.Name}}-{{.Task.Slot}}',
        Command: ['sh', '-c', `hostname > /www/index.html; ${extra}exec httpd -f -p ${targetPort} -h /www`],
        StopGracePeriod: 1_000_000_000,
      },
      RestartPolicy: { Condition: 'any', Delay: (options.restartDelayMs ?? 100) * 1_000_000 },
      Placement: { Constraints: [...(options.constraints ?? [])] },
      Networks: (options.networks ?? []).map((target) => ({ Target: target })),
    },
    Mode: options.global === true ? { Global: {} } : { Replicated: { Replicas: options.replicas ?? 1 } },
    UpdateConfig: { Parallelism: 0, Order: 'stop-first' },
    EndpointSpec: { Mode: options.endpointMode ?? 'vip', Ports: ports },
  };
}

/**
 * Set a replicated service's replica count. The manager bumps a service's version itself (update status, task
 * reconciliation): a write based on an inspect it has since overtaken is refused "update out of sequence" — read
 * again and retry, as the CLI does.
 */
export async function scaleWithRetry(service: Dockerode.Service, replicas: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const current = (await service.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
    try {
      await service.update({ ...current.Spec, version: current.Version.Index, Mode: { Replicated: { Replicas: replicas } } });
      return;
    } catch (error) {
      if (attempt >= 5 || !/out of sequence/i.test(String((error as Error).message))) throw error;
    }
  }
}
