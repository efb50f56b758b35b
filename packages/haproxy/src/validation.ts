/**
 * Strict checks of every value that enters the Runtime API's line protocol. A command is one line of
 * space-separated words and `;` separates commands, so a name holding a space, `;`, a newline or any other
 * character outside HAProxy's identifier set could smuggle a second command. Everything is checked against an
 * allow-list before a command is formatted; nothing is escaped, because HAProxy has no escape syntax here.
 */
import { isIP } from 'node:net';
import { SinkError } from '@nitrox/core';

/** HAProxy's identifier characters (proxy and server names): letters, digits, `-`, `_`, `.`, `:`. */
const namePattern = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Whether `name` is a safe backend or server name. */
export function isSafeName(name: string): boolean {
  return namePattern.test(name);
}

/** A refusal of a value before anything was sent: never retryable, the input itself is wrong. */
export function rejection(what: string, value: unknown): SinkError {
  return new SinkError(`refused ${what} ${JSON.stringify(String(value)).slice(0, 80)}: not allowed in a Runtime API command`, {
    retryable: false,
    peerCode: 'invalid-input',
  });
}

/**
 * `name`, when it is a safe backend or server name.
 * @throws SinkError (not retryable) for anything else
 */
export function checkName(what: string, name: string): string {
  if (!isSafeName(name)) throw rejection(what, name);
  return name;
}

/**
 * `address` as an IP literal (v4 or v6). Host names are refused: HAProxy never resolves them for dynamic servers.
 * @throws SinkError (not retryable) for anything else
 */
export function checkAddress(address: string): string {
  if (isIP(address) === 0 || address.includes('%')) throw rejection('address', address);
  return address;
}

/**
 * `port` as a TCP port (1–65535).
 * @throws SinkError (not retryable) for anything else
 */
export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw rejection('port', port);
  return port;
}

/**
 * `weight` as an HAProxy server weight (0–256).
 * @throws SinkError (not retryable) for anything else
 */
export function checkWeight(weight: number): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > 256) throw rejection('weight', weight);
  return weight;
}

/** `address:port` as `add server` takes it (IPv6 in brackets). */
export function formatEndpoint(address: string, port: number): string {
  const a = checkAddress(address);
  return isIP(a) === 6 ? `[${a}]:${checkPort(port)}` : `${a}:${checkPort(port)}`;
}

/**
 * A whole command line, checked once more as a last line of defence: one line of printable ASCII without `;`.
 * @throws SinkError (not retryable) when it is not
 */
export function checkCommand(line: string): string {
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(line) || line.includes(';')) throw rejection('command', line);
  return line;
}
