/**
 * The NITRO records Nitrox reads and writes, typed as the appliance sends them. Real appliances send many
 * numbers as strings (`"port": "80"`), so reader code converts with `Number()` rather than trusting the type.
 */

/** The envelope of every NITRO answer. */
export interface NitroEnvelope {
  /** 0 on success, otherwise a NITRO error code (e.g. 258 "No such resource"). */
  readonly errorcode?: number;
  /** Human-readable message ("Done" on success). */
  readonly message?: string;
  /** `NONE`, `WARNING` or `ERROR`. */
  readonly severity?: string;
  /** Per-item results of a bulk request answered with 207. */
  readonly response?: readonly NitroItemResult[];
  /** Session id returned by `login`. */
  readonly sessionid?: string;
}

/** The outcome of one item of a bulk request. */
export interface NitroItemResult {
  /** 0 on success. */
  readonly errorcode: number;
  /** The appliance's message for this item. */
  readonly message: string;
  /** `NONE` on success, `ERROR` on failure. */
  readonly severity?: string;
  /**
   * True when the appliance refused the request as a whole (a 4xx without per-item results): this item was
   * not tried on its own, so sending it alone may succeed (a firmware that takes no bulk form of the type).
   */
  readonly wholeRequest?: boolean;
}

/** A NITRO object: a flat record of attributes. */
export type NitroRecord = Record<string, unknown>;

/** `lbvserver`: the front end, owned by the administrator. */
export interface LbvserverRecord extends NitroRecord {
  name: string;
  servicetype?: string;
  ipv46?: string;
  port?: number | string;
  lbmethod?: string;
  persistencetype?: string;
}

/** `servicegroup`: a pool of members. */
export interface ServicegroupRecord extends NitroRecord {
  servicegroupname: string;
  servicetype?: string;
  comment?: string;
}

/** `servicegroup_servicegroupmember_binding`: one member of a servicegroup. */
export interface ServicegroupMemberRecord extends NitroRecord {
  servicegroupname: string;
  ip?: string;
  servername?: string;
  port: number | string;
  weight?: number | string;
  state?: string;
}

/** `lbvserver_servicegroup_binding`: a servicegroup bound to an lbvserver. */
export interface LbvserverServicegroupRecord extends NitroRecord {
  name: string;
  servicegroupname: string;
}

/** `server`: a named back-end address. */
export interface ServerRecord extends NitroRecord {
  name: string;
  ipaddress?: string;
}

/** Well-known NITRO error codes. */
export const NitroErrorCode = {
  done: 0,
  noSuchResource: 258,
  alreadyExists: 273,
  invalidArgument: 278,
  invalidCredentials: 354,
  invalidCredentials2: 355,
  sessionExpired: 444,
  sessionLimit: 445,
  connectionLimit: 446,
  notLoggedIn: 1026,
  authTimeout: 1027,
  bothArguments: 1092,
  bulkFailed: 1243,
} as const;
