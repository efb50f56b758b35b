/**
 * The errors the simulator answers with, each with the HTTP status a real appliance uses for it
 * (NetScaler-specific conditions answer 599, reason phrase `Netscaler specific error`), and the body shape
 * `{errorcode, message, severity}`. 1092's message is the one the NetScaler Ansible collection quotes
 * (plugins/module_utils/common.py); 1026 "Not logged in" is stated by issue 14 and not found in the stored
 * references.
 */

/** A NITRO failure: errorcode, message and HTTP status. */
export class NitroFault extends Error {
  readonly errorcode: number;
  readonly status: number;

  constructor(errorcode: number, message: string, status: number) {
    super(message);
    this.errorcode = errorcode;
    this.status = status;
  }

  /** The JSON body of this failure. */
  toBody(): { errorcode: number; message: string; severity: string } {
    return { errorcode: this.errorcode, message: this.message, severity: 'ERROR' };
  }
}

/** The documented failures, by name. */
export const nitroFaults = {
  noSuchResource: (what = '') => new NitroFault(258, `No such resource${what ? ` [${what}]` : ''}`, 404),
  alreadyExists: (what = '') => new NitroFault(273, `Resource already exists${what ? ` [${what}]` : ''}`, 409),
  invalidArgument: (what = '') => new NitroFault(278, `Invalid argument${what ? ` [${what}]` : ''}`, 400),
  invalidCredentials: () => new NitroFault(354, 'Invalid username or password', 401),
  notLoggedIn: () => new NitroFault(1026, 'Not logged in', 401),
  bothArguments: (a: string, b: string) => new NitroFault(1092, `Arguments cannot both be specified [${a}, ${b}]`, 599),
  sessionExpired: () => new NitroFault(444, 'Session expired or killed. Please login again', 401),
  sessionLimit: () => new NitroFault(445, 'Session limit exceeded', 599),
  connectionLimit: () => new NitroFault(446, 'Connection limit to CFE exceeded', 599),
} as const;
