/**
 * Which Marathon apps become backend pools. A selector matches by app id (exact or RegExp), by group (an id
 * prefix such as `/prod`), by label (value or mere presence), and by a marathon-lb style group label
 * (`HAPROXY_GROUP=external,internal`), with marathon-lb's `--group` rules: the selector's group `*` matches every
 * app, labelled or not, and nothing else is a wildcard (an app labelled `*` is in a group named `*`, so it is
 * not exposed on every load balancer). All given criteria must hold; an empty selector matches every app. A
 * function may replace the whole thing.
 */
import { ConfigError } from '@nitrox/core';
import type { MarathonApp } from './marathon-types.js';

/** Criteria for choosing apps; every criterion given must match. */
export interface AppSelectorCriteria {
  /** App ids to include, exact (`/prod/web`) or as a RegExp tested against the id. */
  readonly ids?: readonly (string | RegExp)[];
  /** Marathon groups: an app matches when its id lies under one of them (`/prod` matches `/prod/web`). */
  readonly groups?: readonly string[];
  /** Labels the app must carry: a string must equal the value, `true` only requires the label to exist. */
  readonly labels?: Readonly<Record<string, string | true>>;
  /**
   * A marathon-lb style group (its `--group`): the app's {@link AppSelectorCriteria.groupLabel} holds a
   * comma-separated list of groups, and the app matches when the list contains this group. `*` matches every
   * app, including apps without the label (marathon-lb's `--group '*'`).
   */
  readonly group?: string;
  /** The label that holds an app's groups. @defaultValue `'HAPROXY_GROUP'` */
  readonly groupLabel?: string;
}

/** Criteria, or a predicate over the app definition. */
export type AppSelector = AppSelectorCriteria | ((app: MarathonApp) => boolean);

function normalizeGroup(group: string): string {
  const withSlash = group.startsWith('/') ? group : `/${group}`;
  return withSlash.endsWith('/') ? withSlash : `${withSlash}/`;
}

/**
 * Compile a selector into a predicate, validating it eagerly.
 *
 * @param path - the option path used in error messages.
 * @throws {@link ConfigError} when a criterion has the wrong type.
 */
export function compileSelector(selector: AppSelector | undefined, path = 'select'): (app: MarathonApp) => boolean {
  if (selector === undefined) return () => true;
  if (typeof selector === 'function') return selector;
  if (typeof selector !== 'object' || selector === null) throw new ConfigError(path, 'must be an object or a function');
  const { ids, groups, labels, group, groupLabel = 'HAPROXY_GROUP' } = selector;
  if (ids !== undefined && !Array.isArray(ids)) throw new ConfigError(`${path}.ids`, 'must be an array');
  if (groups !== undefined && (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string'))) {
    throw new ConfigError(`${path}.groups`, 'must be an array of strings');
  }
  if (labels !== undefined && (typeof labels !== 'object' || labels === null)) {
    throw new ConfigError(`${path}.labels`, 'must be an object');
  }
  if (group !== undefined && (typeof group !== 'string' || group === '')) {
    throw new ConfigError(`${path}.group`, 'must be a non-empty string');
  }
  const prefixes = groups?.map(normalizeGroup);
  const exact = new Set(ids?.filter((id): id is string => typeof id === 'string'));
  // A copy without the g/y flags: their `lastIndex` would make `test` alternate between true and false.
  const patterns = (ids?.filter((id): id is RegExp => id instanceof RegExp) ?? []).map(
    (p) => new RegExp(p.source, p.flags.replace(/[gy]/g, '')),
  );
  const labelEntries = Object.entries(labels ?? {});
  return (app) => {
    if (ids !== undefined && !exact.has(app.id) && !patterns.some((p) => p.test(app.id))) return false;
    if (prefixes !== undefined && !prefixes.some((p) => app.id.startsWith(p))) return false;
    for (const [name, want] of labelEntries) {
      const have = app.labels?.[name];
      if (have === undefined || (want !== true && have !== want)) return false;
    }
    if (group !== undefined && group !== '*') {
      const value = app.labels?.[groupLabel];
      const groupsOfApp = typeof value === 'string' ? value.split(',').map((g) => g.trim()) : [];
      if (!groupsOfApp.includes(group)) return false;
    }
    return true;
  };
}
