/**
 * How NITRO spells names and query parameters. Names in the path are URL-encoded twice, as the official
 * clients do (the appliance decodes once more after the HTTP layer), so a name with a space or `#` survives.
 * `args` and `filter` are `key:value` pairs joined by commas; each value is URL-encoded so that a comma or
 * colon inside it (an IPv6 address) cannot be mistaken for a separator.
 */

/** Key/value pairs of an `args` or `filter` parameter; undefined values are left out. */
export type NitroParams = Readonly<Record<string, string | number | undefined>>;

/** Encode a resource name for the URL path (twice, as NITRO expects). */
export function encodeName(name: string): string {
  return encodeURIComponent(encodeURIComponent(name));
}

/** Format `args`/`filter` pairs: `k:v,k2:v2`, values URL-encoded. */
export function formatParams(params: NitroParams): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    parts.push(`${key}:${encodeURIComponent(String(value))}`);
  }
  return parts.join(',');
}

/** Parse `k:v,k2:v2` (the inverse of {@link formatParams}); the first colon separates key and value. */
export function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (part === '') continue;
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const raw = part.slice(colon + 1);
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // keep the raw text: a malformed escape is the caller's problem, not a crash
    }
    out[part.slice(0, colon)] = value;
  }
  return out;
}

/** Options that shape a NITRO config URL. */
export interface NitroUrlParts {
  /** Object name, appended to the path (encoded). */
  readonly name?: string | undefined;
  /** `args=` pairs. */
  readonly args?: NitroParams | undefined;
  /** `filter=` pairs. */
  readonly filter?: NitroParams | undefined;
  /** `attrs=` attribute names to return. */
  readonly attrs?: readonly string[] | undefined;
  /** `action=` (enable, disable, …). */
  readonly action?: string | undefined;
}

/** Build the path and query of `/nitro/v1/config/<type>[/<name>]`. */
export function configPath(type: string, parts: NitroUrlParts = {}): string {
  let path = `/nitro/v1/config/${type}`;
  if (parts.name !== undefined) path += `/${encodeName(parts.name)}`;
  const query: string[] = [];
  if (parts.action !== undefined) query.push(`action=${encodeURIComponent(parts.action)}`);
  if (parts.args !== undefined) query.push(`args=${formatParams(parts.args)}`);
  if (parts.filter !== undefined) query.push(`filter=${formatParams(parts.filter)}`);
  if (parts.attrs !== undefined && parts.attrs.length > 0) query.push(`attrs=${parts.attrs.join(',')}`);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}
