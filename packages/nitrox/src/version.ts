/** The version of the `nitrox` package, printed by `nitrox --version` and exported as a metric label. */

/** Package version. */
export const version = '0.1.0';
