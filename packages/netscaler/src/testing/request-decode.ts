/**
 * Decodes one raw HTTP request into what the simulator acts on, accepting every form Citrix's own clients
 * send (see docs/netscaler.md, "Request forms"): a `//` in the path (adc-nitro-go's unbind), names encoded twice
 * with `+` for a space (Go's `QueryEscape`, Python's `quote_plus`) or `%20`; the session token in `Cookie:`, in
 * a `Set-Cookie:` *request* header (adc-nitro-go, NITRO Python SDK), in `Cookie: sessionid=` (NITRO Java SDK) or
 * as `sessionid` in the body, raw (`##…`) or URL-encoded (`%23%23…`); `onerror` as a header or a query
 * parameter; the Java SDK's `object=<url-encoded JSON>` form body with its `params` (action, onerror).
 */
import type { IncomingMessage } from 'node:http';
import { NitroFault, nitroFaults } from './nitro-fault.js';

/** Where a request's session token came from. */
export type TokenSource = 'cookie' | 'set-cookie' | 'sessionid-cookie' | 'body';

/** A decoded request. */
export interface DecodedRequest {
  readonly method: string;
  /** Object type (`''` when the path names none). */
  readonly type: string;
  /** Object name from the path, decoded. */
  readonly name: string | undefined;
  /** Query parameters (`args`/`filter` kept raw, the others form-decoded), plus `params` of a body. */
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body, when there is one. */
  readonly payload: Record<string, unknown> | undefined;
  /** `X-NITRO-ONERROR` header, else `onerror` from the query or the body's `params`. */
  readonly onError: string | undefined;
  /** The session id the request carries (without its `##`), and where it was found. */
  readonly token: { readonly id: string; readonly from: TokenSource } | undefined;
  /** A body that could not be parsed, or a path that is not a config path. */
  readonly fault: NitroFault | undefined;
}

/** URL decoding that treats `+` as a space (HTML form encoding, what `QueryEscape`/`quote_plus` produce). */
export function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/**
 * A name from the path: the HTTP layer's decoding, then NITRO's own second one (form decoding, so `+` is a
 * space). Every official client encodes names twice, so both steps always apply.
 */
export function decodeName(segment: string): string {
  let once = segment;
  try {
    once = decodeURIComponent(segment);
  } catch {
    return segment;
  }
  return formDecode(once);
}

/** Parse `k:v,k2:v2` with form-decoded values (Python's `quote_plus`, Ansible's `quote`, or raw as Go sends). */
export function parsePairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    out[part.slice(0, colon)] = formDecode(part.slice(colon + 1));
  }
  return out;
}

function header(req: IncomingMessage, name: string): string[] {
  const value = req.headers[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function cookieValue(headers: string[], name: string): string | undefined {
  const pattern = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`);
  for (const h of headers) {
    const match = pattern.exec(h)?.[1];
    if (match !== undefined) return match;
  }
  return undefined;
}

/** `##abc`, `%23%23abc` or `abc` → `abc`. */
function sessionId(raw: string): string {
  let value = raw.trim();
  try {
    value = decodeURIComponent(value);
  } catch {
    // keep the raw text
  }
  return value.startsWith('##') ? value.slice(2) : value;
}

function parseQuery(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out[key] = key === 'args' || key === 'filter' ? value : formDecode(value);
  }
  return out;
}

function parseBody(req: IncomingMessage, text: string): Record<string, unknown> | undefined | NitroFault {
  if (text.trim() === '') return undefined;
  let json = text;
  const form = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded') || text.startsWith('object=');
  if (form) json = new URLSearchParams(text).get('object') ?? '';
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return nitroFaults.invalidArgument('JSON');
    return value as Record<string, unknown>;
  } catch {
    return nitroFaults.invalidArgument('JSON');
  }
}

/** Decode `req` (its body already read as `text`). */
export function decodeRequest(req: IncomingMessage, text: string): DecodedRequest {
  const method = req.method ?? 'GET';
  const [rawPath = '', rawQuery = ''] = (req.url ?? '').split('?', 2) as [string, string?];
  // adc-nitro-go builds its unbind URL as `config/` + `/` + binding: the appliance treats `//` as `/`.
  const path = rawPath.replace(/\/{2,}/g, '/');
  const match = /^\/nitro\/v1\/config(?:\/([A-Za-z0-9_]+)(?:\/([^/]+))?)?\/?$/.exec(path);
  const query = parseQuery(rawQuery);
  const body = parseBody(req, text);
  const payload = body instanceof NitroFault ? undefined : body;
  let fault = body instanceof NitroFault ? body : undefined;
  if (match === null) fault = new NitroFault(258, 'No such resource [path]', 404);
  let type = match?.[1] ?? '';
  // The Java SDK posts to `/config/` and names the type by the body's one object key.
  if (type === '' && payload !== undefined) {
    const keys = Object.keys(payload).filter((k) => k !== 'params' && k !== 'sessionid');
    if (keys.length === 1) type = keys[0] as string;
  }
  const params = payload?.params;
  if (typeof params === 'object' && params !== null) {
    for (const [k, v] of Object.entries(params as Record<string, unknown>)) {
      if (typeof v === 'string' && query[k] === undefined) query[k] = v;
    }
  }
  const cookies = header(req, 'cookie');
  const sources: Array<[TokenSource, string | undefined]> = [
    ['cookie', cookieValue(cookies, 'NITRO_AUTH_TOKEN')],
    ['set-cookie', cookieValue(header(req, 'set-cookie'), 'NITRO_AUTH_TOKEN')],
    ['sessionid-cookie', cookieValue(cookies, 'sessionid')],
    ['body', typeof payload?.sessionid === 'string' ? payload.sessionid : undefined],
  ];
  const found = sources.find(([, v]) => v !== undefined && v !== '');
  return {
    method,
    type,
    name: match?.[2] === undefined ? undefined : decodeName(match[2]),
    query,
    payload,
    onError: header(req, 'x-nitro-onerror')[0] ?? query.onerror,
    token: found === undefined ? undefined : { id: sessionId(found[1] as string), from: found[0] },
    fault,
  };
}
