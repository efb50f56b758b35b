/**
 * The plugin object: `type: file` sink entries. Written only against the public contract (`@nitrox/plugin`):
 * a zod schema of the entry, an (empty) schema of per-mapping options, and a factory.
 */
import { resolve } from 'node:path';
import type { BackendSet, Sink } from '@nitrox/core';
import { defineSinkPlugin, entrySchema } from '@nitrox/plugin';
import { z } from 'zod';
import { FileSink } from './file-sink.js';

/** A `type: file` entry under `sinks:`. */
export const fileSinkSchema = entrySchema({
  directory: z.string().min(1).describe('Directory of the pool files, relative to the configuration file (must exist).'),
  indent: z.number().int().min(0).max(8).default(2).describe('JSON indentation of the files.'),
});

/** The plugin of `type: file` sink entries. */
export const fileSinkPlugin = defineSinkPlugin({
  type: 'file',
  description: 'One JSON file per pool in a directory (an example of a third-party plugin).',
  schema: fileSinkSchema,
  mapping: entrySchema({}),
  create(entry, context) {
    const directory = resolve(context.baseDir, entry.directory);
    const sinks = new Map<boolean, FileSink>();
    const sinkFor = (allowEmpty: boolean): FileSink => {
      let sink = sinks.get(allowEmpty);
      if (!sink) {
        sink = new FileSink({ directory, allowEmpty, indent: entry.indent });
        sinks.set(allowEmpty, sink);
      }
      return sink;
    };
    return {
      name: context.name,
      pool: (settings): Sink<BackendSet> => sinkFor(settings.allowEmpty),
      requests() {
        const all = [...sinks.values()];
        return { ok: all.reduce((n, s) => n + s.writes, 0), error: all.reduce((n, s) => n + s.failures, 0) };
      },
      close: async () => {},
    };
  },
});
