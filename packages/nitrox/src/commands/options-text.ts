/**
 * A mapping's plugin options as `plan` and `validate` print them: `, lbvserver vs-web, servicegroupType HTTP`.
 * The host knows no option by name, so it prints whatever the plugins' mapping schemas produced.
 */

/** A mapping's plugin options for people: `, lbvserver vs-web, servicegroupType HTTP`. */
export function optionsText(options: Readonly<Record<string, unknown>>): string {
  return Object.entries(options)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `, ${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('');
}
