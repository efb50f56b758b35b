/**
 * The logging seam: a structured logger shaped like pino's (`logger.warn(fields, message)`), so a pino
 * instance can be passed as is. Nitrox never puts credentials in the fields it logs.
 */

/** A structured logger (pino-compatible subset). */
export interface NitroLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything; the default. */
export const silentLogger: NitroLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
