/**
 * Reading the Engine's `/events` stream: newline-delimited JSON objects, split across arbitrary chunks.
 * Each line is parsed and checked for the fields the source relies on (`Type`, `Action`, `Actor.ID`); a line
 * that is not such an object is reported as a {@link MalformedEventError} through a callback and skipped,
 * and the stream goes on. Nothing a daemon sends can stop the reader except the end of the stream.
 */
import { MalformedEventError } from '@nitrox/core';
import type { EngineEvent } from './engine-types.js';

/** Longest line kept in memory before it is reported malformed and dropped (a runaway line is no event). */
const maxLineBytes = 1024 * 1024;

/**
 * Validate one parsed `/events` message.
 *
 * @returns the event, or a {@link MalformedEventError} describing what is wrong.
 */
export function parseEngineEvent(line: string): EngineEvent | MalformedEventError {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return new MalformedEventError(`Engine event is not JSON: ${excerpt(line)}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new MalformedEventError(`Engine event is not an object: ${excerpt(line)}`);
  }
  const raw = value as Record<string, unknown>;
  const actor = raw.Actor as Record<string, unknown> | undefined;
  if (typeof raw.Type !== 'string' || typeof raw.Action !== 'string' || typeof actor !== 'object' || actor === null || typeof actor.ID !== 'string') {
    return new MalformedEventError(`Engine event lacks Type, Action or Actor.ID: ${excerpt(line)}`);
  }
  const attributes: Record<string, string> = {};
  if (typeof actor.Attributes === 'object' && actor.Attributes !== null) {
    for (const [k, v] of Object.entries(actor.Attributes as Record<string, unknown>)) if (typeof v === 'string') attributes[k] = v;
  }
  const event: { -readonly [K in keyof EngineEvent]: EngineEvent[K] } = {
    Type: raw.Type,
    Action: raw.Action,
    Actor: { ID: actor.ID, Attributes: attributes },
  };
  if (typeof raw.scope === 'string') event.scope = raw.scope;
  if (typeof raw.timeNano === 'number' && Number.isFinite(raw.timeNano)) event.timeNano = raw.timeNano;
  return event;
}

/**
 * Iterate the events of a `/events` response body. Malformed lines go to `onMalformed`; iteration ends
 * with the stream (or throws the stream's error).
 */
export async function* readEngineEvents(
  body: AsyncIterable<Buffer | string>,
  onMalformed: (error: MalformedEventError) => void,
): AsyncGenerator<EngineEvent> {
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line.length > 0) {
        const event = parseEngineEvent(line);
        if (event instanceof MalformedEventError) onMalformed(event);
        else yield event;
      }
      newline = buffered.indexOf('\n');
    }
    if (buffered.length > maxLineBytes) {
      onMalformed(new MalformedEventError(`Engine event line longer than ${maxLineBytes} bytes dropped`));
      buffered = '';
    }
  }
  const rest = buffered.trim();
  if (rest.length > 0) {
    const event = parseEngineEvent(rest);
    if (event instanceof MalformedEventError) onMalformed(event);
    else yield event;
  }
}

const containerHints = new Set(['start', 'die', 'stop', 'kill', 'destroy', 'oom']);

/** What an event makes dirty: the node list, or one service (`hint`: a container event, only a hint). */
export type Interrupt = { readonly nodes: true } | { readonly nodes: false; readonly service: string; readonly hint: boolean };

/**
 * The interrupt an event raises: service events name their service, node events the node list, and the
 * start/die/stop/kill/destroy/oom/health_status events of a swarm task's container (label
 * `com.docker.swarm.service.id`) name its service as a hint. Anything else raises none.
 */
export function interruptOf(event: EngineEvent): Interrupt | undefined {
  if (event.Type === 'service') return { nodes: false, service: event.Actor.ID, hint: false };
  if (event.Type === 'node') return { nodes: true };
  if (event.Type !== 'container') return undefined;
  const service = event.Actor.Attributes['com.docker.swarm.service.id'];
  if (service === undefined || !(containerHints.has(event.Action) || event.Action.startsWith('health_status'))) return undefined;
  return { nodes: false, service, hint: true };
}

function excerpt(line: string): string {
  return JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line);
}
