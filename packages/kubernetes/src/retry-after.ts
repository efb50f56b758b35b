/**
 * Honouring `Retry-After` as client-go's REST client does: an answer 429 (Too Many Requests, API priority and
 * fairness) or 5xx (e.g. 504 "Too large resource version" from a lagging watch cache) that carries a
 * `Retry-After` header is waited out and the same GET is sent again, a bounded number of times, before the
 * error is handed to the caller (whose own backoff then applies). The wait runs on the injected `Clock` and ends
 * early when the request's signal aborts.
 */

/**
 * The delay a `Retry-After` header asks for, in ms, or `undefined` when the answer does not ask for one: only
 * 429 and 5xx answers count (client-go's `checkWait`). The header is delta-seconds (what the API server sends)
 * or an HTTP date; the result is clamped to `0…maxMs`.
 *
 * @param nowEpochMs - wall-clock time, for HTTP-date values. @defaultValue Date.now()
 */
export function retryAfterMs(
  statusCode: number,
  header: string | string[] | undefined,
  maxMs: number,
  nowEpochMs: number = Date.now(),
): number | undefined {
  if (statusCode !== 429 && (statusCode < 500 || statusCode > 599)) return undefined;
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    // An HTTP date starts with a day name; anything else (a negative or fractional number) is invalid.
    const at = /^[A-Za-z]/.test(value) ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(at)) return undefined;
    ms = at - nowEpochMs;
  }
  return Math.min(Math.max(0, ms), maxMs);
}
