/**
 * @nitrox/http: serve any Nitrox `ListWatch` over HTTP to remote agents (`serveListWatch`) and follow it
 * (`HttpListWatch`), with digest catch-up for followers that fell out of history.
 */
export { type ListWatchHandler, serveListWatch } from './serve.js';
export { type ResolvedServeOptions, type ServeOptions, type ServeStats, resolveServeOptions, serveDefaults } from './server-options.js';
export { HttpListWatch, type HttpListWatchOptions, type HttpListWatchStats } from './http-list-watch.js';
export { type TokenSource, tokenReader } from './token.js';
export type { WireCatchUp, WireError, WireEvent, WireListPage } from './protocol.js';
export {
  applyCatchUp,
  bucketCountFor,
  bucketOf,
  type CatchUpChanges,
  defaultItemsPerBucket,
  decodeDigest,
  differingBuckets,
  digestOfItems,
  encodeDigest,
  fingerprint,
  type Fingerprint,
  maxBuckets,
} from './digest.js';
