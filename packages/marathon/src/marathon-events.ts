/**
 * Decoding and classifying event bus documents. Marathon's events are interrupts, never state: each one is
 * reduced to "which apps may have changed" (an {@link EventImpact}), and the source refetches those apps.
 * A `data` field may hold several JSON documents (Marathon occasionally batches them, one per line), so the
 * decoder parses the whole field first and falls back to one document per line; an unparsable document is a
 * {@link MalformedEventError}, never a crash.
 */
import { MalformedEventError } from '@nitrox/core';
import type { MarathonEvent } from './marathon-types.js';

/**
 * The event types that can change a backend pool; the stream subscribes to exactly these by default
 * (`?event_type=` filters), so status chatter about other things never reaches the client. Left out on
 * purpose: `failed_health_check_event`, which repeats on every failed check without a change of health (the
 * change itself arrives as `health_status_changed_event`), and would cost a fetch per check interval; and
 * `group_change_success`, which Marathon emits with every app change naming the app's parent group (often `/`),
 * not the app: following it would turn every change into a full snapshot, while the `api_post_event` and
 * deployment events of the same change already name the apps.
 */
export const relevantEventTypes: readonly string[] = [
  'status_update_event',
  'instance_changed_event',
  'health_status_changed_event',
  'instance_health_changed_event',
  'unknown_instance_terminated_event',
  'app_terminated_event',
  'api_post_event',
  'deployment_info',
  'deployment_success',
  'deployment_failed',
  'deployment_step_success',
  'deployment_step_failure',
];

/**
 * What an event means for the source:
 * - `tasks`: the tasks of these apps may have changed (refetch their tasks);
 * - `definition`: these apps' definitions may have changed (labels, ports, health checks: take a full snapshot);
 * - `all`: anything may have changed (take a full snapshot);
 * - `none`: nothing a pool depends on.
 */
export type EventImpact =
  | { readonly kind: 'tasks'; readonly appIds: readonly string[] }
  | { readonly kind: 'definition'; readonly appIds: readonly string[] }
  | { readonly kind: 'all' }
  | { readonly kind: 'none' };

/** The result of decoding one SSE `data` field: the documents that parsed, and one error per one that did not. */
export interface DecodedData {
  readonly events: MarathonEvent[];
  readonly errors: MalformedEventError[];
}

function asEvent(doc: unknown, fallbackType: string | undefined): MarathonEvent | MalformedEventError {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return new MalformedEventError('marathon event is not a JSON object');
  }
  const eventType = (doc as { eventType?: unknown }).eventType ?? fallbackType;
  if (typeof eventType !== 'string' || eventType === '') {
    return new MalformedEventError('marathon event has no eventType');
  }
  return { ...(doc as Record<string, unknown>), eventType };
}

function parseOne(text: string, fallbackType: string | undefined): MarathonEvent | MalformedEventError {
  try {
    return asEvent(JSON.parse(text), fallbackType);
  } catch (cause) {
    // Never echo the data, nor keep the parser's error as the cause (V8 quotes the input in it): an
    // api_post_event carries a whole app definition, environment secrets included.
    return new MalformedEventError(`marathon event data is not JSON (${text.length} chars, ${(cause as Error).name})`);
  }
}

/**
 * Decode the `data` of one SSE message into Marathon events.
 *
 * @param data - the message data (lines joined with `\n` by the SSE parser).
 * @param sseEvent - the SSE `event:` name, used when a document lacks `eventType`.
 */
export function decodeEventData(data: string, sseEvent?: string): DecodedData {
  const events: MarathonEvent[] = [];
  const errors: MalformedEventError[] = [];
  const trimmed = data.trim();
  if (trimmed === '') return { events, errors };
  const whole = parseOne(trimmed, sseEvent);
  if (!(whole instanceof MalformedEventError)) {
    events.push(whole);
    return { events, errors };
  }
  const lines = trimmed.split(/\r?\n|\r/).filter((line) => line.trim() !== '');
  if (lines.length < 2) return { events, errors: [whole] };
  for (const line of lines) {
    const one = parseOne(line.trim(), sseEvent);
    if (one instanceof MalformedEventError) errors.push(one);
    else events.push(one);
  }
  return { events, errors };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The app id of an instance id such as `web.marathon-1a2b…` or `prod_web.instance-…` (Marathon encodes `/` as `_`). */
export function appIdOfInstance(instanceId: string): string | undefined {
  const dot = instanceId.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return `/${instanceId.slice(0, dot).replaceAll('_', '/')}`;
}

function appsOfPlan(event: MarathonEvent): string[] {
  const ids = new Set<string>();
  const collect = (actions: unknown): void => {
    if (!Array.isArray(actions)) return;
    for (const action of actions) {
      const app = str((action as { app?: unknown } | null)?.app);
      if (app !== undefined) ids.add(app);
    }
  };
  collect((event.currentStep as { actions?: unknown } | undefined)?.actions);
  const steps = (event.plan as { steps?: unknown } | undefined)?.steps;
  if (Array.isArray(steps)) for (const step of steps) collect((step as { actions?: unknown } | null)?.actions);
  return [...ids];
}

/** Reduce one event to the apps it may have changed. Unknown event types change nothing. */
export function eventImpact(event: MarathonEvent): EventImpact {
  const tasks = (appId: string | undefined): EventImpact =>
    appId === undefined ? { kind: 'all' } : { kind: 'tasks', appIds: [appId] };
  switch (event.eventType) {
    case 'status_update_event':
    case 'health_status_changed_event':
    case 'failed_health_check_event':
      return tasks(str(event.appId) ?? appIdOfInstance(str(event.instanceId) ?? str(event.taskId) ?? ''));
    case 'instance_changed_event':
    case 'instance_health_changed_event':
    case 'unknown_instance_terminated_event':
      return tasks(str(event.runSpecId) ?? str(event.appId) ?? appIdOfInstance(str(event.instanceId) ?? ''));
    case 'app_terminated_event': {
      const appId = str(event.appId);
      return appId === undefined ? { kind: 'all' } : { kind: 'definition', appIds: [appId] };
    }
    case 'api_post_event': {
      const appId = str((event.appDefinition as { id?: unknown } | undefined)?.id);
      return appId === undefined ? { kind: 'all' } : { kind: 'definition', appIds: [appId] };
    }
    case 'deployment_info':
    case 'deployment_success':
    case 'deployment_failed':
    case 'deployment_step_success':
    case 'deployment_step_failure': {
      const appIds = appsOfPlan(event);
      return appIds.length === 0 ? { kind: 'all' } : { kind: 'definition', appIds };
    }
    case 'group_change_success':
      return { kind: 'all' };
    default:
      return { kind: 'none' };
  }
}
