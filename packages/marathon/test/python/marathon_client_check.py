"""Drive a Marathon (the package's simulator) with the real Python client, python3-marathon.

Usage: python3 marathon_client_check.py <marathon-url>

Every call a Marathon shop's tooling makes is exercised and checked; the event stream is followed in a thread
and every event must parse into its client class. Prints one JSON summary line on stdout; any failed check
raises (exit status 1, traceback on stderr). The Node side of the test waits for the app /py/sick and makes its
health checks fail, so that failed_health_check_event is seen too.
"""
import json
import sys
import threading
import time

from marathon import MarathonApp, MarathonClient, NotFoundError
from marathon.models.app import MarathonHealthCheck, PortDefinition
from marathon.models import events as ev

URL = sys.argv[1]
client = MarathonClient([URL], timeout=10)
summary = {}


def web_deployments():
    # /py/sick never becomes healthy (the Node side fails its checks), so its deployment stays, as in Marathon.
    return [d for d in client.list_deployments() if '/py/web' in d.affected_apps]


def wait_until(what, predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')


# --- the event stream, parsed into client classes, in a thread -------------------------------------------
seen = []
stream_errors = []


def follow():
    try:
        for event in client.event_stream():
            seen.append(event)
    except Exception as error:  # noqa: BLE001 - reported below
        stream_errors.append(repr(error))


threading.Thread(target=follow, daemon=True).start()
wait_until('event_stream_attached', lambda: any(isinstance(e, ev.MarathonEventStreamAttached) for e in seen))

# --- basic endpoints -------------------------------------------------------------------------------------
assert client.ping().strip() == b'pong'
info = client.get_info()
assert info.name == 'marathon' and info.version.startswith('1.8'), info
assert client.get_leader()['leader'] == info.leader

# --- create_app returns the full app ---------------------------------------------------------------------
web = MarathonApp(
    cmd='python3 -m http.server $PORT0',
    instances=2,
    labels={'HAPROXY_GROUP': 'external', 'tier': 'front'},
    port_definitions=[PortDefinition(port=0, name='http')],
    health_checks=[MarathonHealthCheck(protocol='MESOS_HTTP', path='/health', port_index=0)],
)
created = client.create_app('/py/web', web)
assert created.id == '/py/web' and created.instances == 2 and created.cmd == web.cmd, created
assert created.labels['tier'] == 'front' and created.version, created
client.create_app('/py/api', MarathonApp(cmd='sleep 1000', instances=1, labels={'tier': 'back'}))
client.create_app('/py/sick', MarathonApp(cmd='sleep 1000', instances=1, health_checks=[MarathonHealthCheck(protocol='MESOS_HTTP', path='/health')]))

# --- get_app task counts (tasks running and healthy once checks ran) -------------------------------------
app = wait_until('2 healthy tasks', lambda: (lambda a: a if a.tasks_running == 2 and a.tasks_healthy == 2 else None)(client.get_app('/py/web')))
summary['counts'] = [app.tasks_running, app.tasks_healthy, app.tasks_staged, app.tasks_unhealthy]

# --- list_apps with embedded tasks, label selectors and id filter -----------------------------------------
apps = client.list_apps(embed_tasks=True)
by_id = {a.id: a for a in apps}
assert set(by_id) == {'/py/web', '/py/api', '/py/sick'}, by_id
assert len(by_id['/py/web'].tasks) == 2 and all(t.host and t.ports for t in by_id['/py/web'].tasks)
assert [a.id for a in client.list_apps(label='tier==front')] == ['/py/web']
assert sorted(a.id for a in client.list_apps(label='tier in (front, back)')) == ['/py/api', '/py/web']
assert [a.id for a in client.list_apps(label='tier,tier!=front')] == ['/py/api']
assert [a.id for a in client.list_apps(app_id='api')] == ['/py/api']
summary['listed'] = sorted(by_id)

# --- scale_app; list_deployments while it runs ------------------------------------------------------------
scaled = client.scale_app('/py/web', instances=3)
assert 'deploymentId' in scaled and 'version' in scaled, scaled
deployments = client.list_deployments()
assert any('/py/web' in d.affected_apps for d in deployments), deployments
summary['deployments'] = [(d.id, d.affected_apps, [s.actions[0].action for s in d.steps]) for d in deployments]
wait_until('3 healthy tasks', lambda: client.get_app('/py/web').tasks_healthy == 3)
wait_until('deployments done', lambda: web_deployments() == [])

# --- kill_task with scale=True (sent as "True") -----------------------------------------------------------
victim = client.list_tasks('/py/web')[0]
client.kill_task('/py/web', victim.id, scale=True)
wait_until('2 instances', lambda: (lambda a: a.instances == 2 and a.tasks_running == 2)(client.get_app('/py/web')))
# Visible as TASK_KILLING for the kill grace period, then gone.
wait_until('killed task gone', lambda: victim.id not in [t.id for t in client.get_app('/py/web', embed_tasks=True).tasks])

# --- kill_task without scale is replaced ------------------------------------------------------------------
victim = client.list_tasks('/py/web')[0]
killed = client.kill_task('/py/web', victim.id)
assert killed.id == victim.id, killed
wait_until('replacement', lambda: (lambda ts: len(ts) == 2 and victim.id not in [t.id for t in ts])(client.get_app('/py/web', embed_tasks=True).tasks))

# --- more of the API: tasks, versions, restart, queue, groups, kill by list ----------------------------------
assert {t.app_id for t in client.list_tasks()} == {'/py/web', '/py/api', '/py/sick'}
assert len(client.list_versions('/py/web')) >= 3
restart = client.restart_app('/py/web')
assert 'deploymentId' in restart, restart
wait_until('restart done', lambda: web_deployments() == [] and client.get_app('/py/web').tasks_healthy == 2)
assert client.list_queue() == []
groups = client.list_groups()
assert [g.id for g in groups] == ['/py'] and sorted(a.id for a in groups[0].apps) == ['/py/api', '/py/sick', '/py/web']
api_task = client.list_tasks('/py/api')[0]
assert client.kill_given_tasks([api_task.id], scale=False)

# --- delete_app -------------------------------------------------------------------------------------------
deleted = client.delete_app('/py/api')
assert 'deploymentId' in deleted, deleted
wait_until('/py/api gone', lambda: '/py/api' not in [a.id for a in client.list_apps()])
try:
    client.get_app('/py/api')
    raise AssertionError('deleted app still answers')
except NotFoundError:
    pass

# --- every event parsed into its client class -------------------------------------------------------------
wanted = [
    ev.MarathonEventStreamAttached, ev.MarathonApiPostEvent, ev.MarathonGroupChangeSuccess, ev.MarathonDeploymentInfo,
    ev.MarathonDeploymentStepSuccess, ev.MarathonDeploymentSuccess, ev.MarathonStatusUpdateEvent,
    ev.MarathonInstanceChangedEvent, ev.MarathonHealthStatusChangedEvent, ev.MarathonInstanceHealthChangedEvent,
    ev.MarathonFailedHealthCheckEvent, ev.MarathonAppTerminatedEvent,
]
def missing():
    return [c.__name__ for c in wanted if not any(isinstance(e, c) for e in seen)]


try:
    wait_until('every event class', lambda: missing() == [] or stream_errors)
except AssertionError:
    raise AssertionError(f'events never parsed into {missing()}; errors: {stream_errors}')
assert stream_errors == [], stream_errors
statuses = {e.task_status for e in seen if isinstance(e, ev.MarathonStatusUpdateEvent)}
assert {'TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED'} <= statuses, statuses
plans = [e.plan for e in seen if isinstance(e, ev.MarathonDeploymentInfo)]
assert all(p.id and p.steps and p.steps[0].actions[0].app for p in plans)
health = [e for e in seen if isinstance(e, ev.MarathonHealthStatusChangedEvent)]
# The client drops falsy attributes (alive=False leaves no attribute), so only the healthy ones carry `alive`.
assert all(e.app_id and e.instance_id for e in health)
assert any(getattr(e, 'alive', False) is True for e in health) and any(not hasattr(e, 'alive') for e in health)
summary['eventClasses'] = sorted({type(e).__name__ for e in seen})
summary['events'] = len(seen)
summary['ok'] = True
print(json.dumps(summary))
