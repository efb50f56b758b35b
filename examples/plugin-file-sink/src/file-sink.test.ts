import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSinkConformance } from '@nitrox/core/conformance';
import { FileSink } from './file-sink.js';

/** Every write goes through the sink, so its own counter is what the "peer" (the directory) received. */
describeSinkConformance('FileSink', {
  async setup({ allowEmpty }) {
    const directory = await mkdtemp(join(tmpdir(), 'nitrox-file-sink-'));
    const sink = new FileSink({ directory, allowEmpty });
    const foreign = join(directory, 'admin-notes.json');
    return {
      sink,
      key: 'web',
      writes: () => sink.writes,
      addForeign: () => writeFile(foreign, '{"hand":"written"}\n'),
      foreignIntact: async () => (await readFile(foreign, 'utf8')) === '{"hand":"written"}\n',
      teardown: () => rm(directory, { recursive: true, force: true }),
    };
  },
  async failing() {
    const directory = await mkdtemp(join(tmpdir(), 'nitrox-file-sink-'));
    // A regular file where the directory should be: every write fails with ENOTDIR.
    await writeFile(join(directory, 'not-a-dir'), '');
    const sink = new FileSink({ directory: join(directory, 'not-a-dir') });
    return {
      sink,
      key: 'web',
      writes: () => sink.writes,
      addForeign: async () => {},
      foreignIntact: async () => true,
      teardown: () => rm(directory, { recursive: true, force: true }),
    };
  },
});
