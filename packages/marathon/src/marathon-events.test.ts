import { MalformedEventError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { appIdOfInstance, decodeEventData, eventImpact } from './marathon-events.js';

describe('decodeEventData', () => {
  it('decodes one document', () => {
    const { events, errors } = decodeEventData('{"eventType":"status_update_event","appId":"/a"}');
    expect(errors).toEqual([]);
    expect(events).toEqual([{ eventType: 'status_update_event', appId: '/a' }]);
  });

  it('decodes several documents, one per line, and reports the bad one', () => {
    const data = '{"eventType":"a"}\r\n{"eventType":"b"}\nnot json\n{"eventType":"c"}';
    const { events, errors } = decodeEventData(data);
    expect(events.map((e) => e.eventType)).toEqual(['a', 'b', 'c']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(MalformedEventError);
    expect(errors[0]?.code).toBe('NITROX_MALFORMED_EVENT');
  });

  it('accepts a pretty-printed document spread over several data lines', () => {
    const { events, errors } = decodeEventData('{\n"eventType": "x",\n"n": 1\n}');
    expect(errors).toEqual([]);
    expect(events).toEqual([{ eventType: 'x', n: 1 }]);
  });

  it('takes the SSE event name when the document lacks eventType', () => {
    expect(decodeEventData('{"appId":"/a"}', 'app_terminated_event').events[0]?.eventType).toBe('app_terminated_event');
  });

  it('rejects non-objects and documents without a type', () => {
    expect(decodeEventData('[1,2]').errors).toHaveLength(1);
    expect(decodeEventData('{"appId":"/a"}').errors).toHaveLength(1);
    expect(decodeEventData('{"eventType": "status_upd').errors).toHaveLength(1);
  });

  it('ignores empty data', () => {
    expect(decodeEventData('  \r\n')).toEqual({ events: [], errors: [] });
  });

  it('never echoes bad data (it may hold an app definition with secrets), in the message or a cause', () => {
    const secret = 'DB_PASSWORD=hunter2';
    for (const data of [`{"appDefinition":{"env":"${secret}"`, `x${secret}${'y'.repeat(10_000)}`, `oops ${secret}`]) {
      const { errors } = decodeEventData(data);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message.length).toBeLessThan(200);
      expect(JSON.stringify(errors[0], Object.getOwnPropertyNames(errors[0]))).not.toContain('hunter2');
      expect(String(errors[0]?.cause ?? '')).not.toContain('hunter2');
    }
  });
});

describe('eventImpact', () => {
  it('maps task events to their app', () => {
    expect(eventImpact({ eventType: 'status_update_event', appId: '/web', taskStatus: 'TASK_RUNNING' })).toEqual({
      kind: 'tasks',
      appIds: ['/web'],
    });
    expect(eventImpact({ eventType: 'instance_changed_event', runSpecId: '/web' })).toEqual({ kind: 'tasks', appIds: ['/web'] });
    expect(eventImpact({ eventType: 'health_status_changed_event', appId: '/web', alive: false })).toEqual({
      kind: 'tasks',
      appIds: ['/web'],
    });
    expect(eventImpact({ eventType: 'instance_health_changed_event', instanceId: 'prod_web.marathon-1' })).toEqual({
      kind: 'tasks',
      appIds: ['/prod/web'],
    });
  });

  it('maps definition events to a definition refetch', () => {
    expect(eventImpact({ eventType: 'api_post_event', appDefinition: { id: '/web' } })).toEqual({
      kind: 'definition',
      appIds: ['/web'],
    });
    expect(eventImpact({ eventType: 'app_terminated_event', appId: '/web' })).toEqual({ kind: 'definition', appIds: ['/web'] });
    const step = { actions: [{ action: 'ScaleApplication', app: '/a' }, { action: 'StartApplication', app: '/b' }] };
    expect(eventImpact({ eventType: 'deployment_info', plan: { steps: [step] }, currentStep: step })).toEqual({
      kind: 'definition',
      appIds: ['/a', '/b'],
    });
  });

  it('asks for a full snapshot when an event does not say which app', () => {
    expect(eventImpact({ eventType: 'group_change_success' })).toEqual({ kind: 'all' });
    expect(eventImpact({ eventType: 'deployment_success', plan: {} })).toEqual({ kind: 'all' });
    expect(eventImpact({ eventType: 'status_update_event' })).toEqual({ kind: 'all' });
  });

  it('ignores events that cannot change a pool', () => {
    expect(eventImpact({ eventType: 'event_stream_attached' })).toEqual({ kind: 'none' });
    expect(eventImpact({ eventType: 'framework_message_event' })).toEqual({ kind: 'none' });
  });
});

describe('appIdOfInstance', () => {
  it('decodes Marathon instance and task ids', () => {
    expect(appIdOfInstance('web.marathon-3d1c')).toBe('/web');
    expect(appIdOfInstance('prod_api_v2.instance-3d1c')).toBe('/prod/api/v2');
    expect(appIdOfInstance('nodot')).toBeUndefined();
  });
});
