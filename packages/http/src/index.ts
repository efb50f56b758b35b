/**
 * @nitrox/http: serve any Nitrox `ListWatch` over HTTP to remote agents (`serveListWatch`) and follow it
 * (`HttpListWatch`), with digest catch-up for followers that fell out of history.
 */
export { type ListWatchHandler, serveListWatch } from './serve.js';
export { type ListeningServer, type ListenOptions, listenListWatch } from './listen.js';
export { type ResolvedServeOptions, type ServeOptions, type ServeStats, resolveServeOptions, serveDefaults } from './server-options.js';
export { HttpListWatch, type HttpListWatchOptions, type HttpListWatchStats, httpListWatchDefaults } from './http-list-watch.js';
export { type TokenSource, tokenReader } from './token.js';
export type { WireCatchUp, WireDigestAnswer, WireError, WireEvent, WireListPage } from './protocol.js';
export {
  applyCatchUp,
  buildDigest,
  buildSubDigests,
  type CatchUpChanges,
  decodeDigest,
  defaultItemsPerLeaf,
  type DigestShape,
  differingBuckets,
  differingLeaves,
  digestFanOut,
  encodeDigest,
  type Fingerprint,
  fingerprint,
  fingerprintsOf,
  leafOf,
  maxBuckets,
  maxFanOut,
  shapeFor,
} from './digest.js';
