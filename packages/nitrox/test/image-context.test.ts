/** The image's build context without a Docker Engine: the Dockerfile's final stage and the library scan. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { finalStage } from '../../../scripts/image/context.js';
import { parseLdd } from '../../../scripts/image/rootfs.js';
import { version } from '../src/version.js';

describe('the Dockerfile for registries', () => {
  it('ends in the same final stage that `npm run image` builds', async () => {
    const dockerfile = await readFile(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    const final = dockerfile
      .slice(dockerfile.lastIndexOf('\nFROM scratch') + 1)
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    const expected = finalStage({ version }).map((line) => (line === 'COPY rootfs/ /' ? 'COPY --from=build /image/rootfs/ /' : line));
    expect(final).toEqual(expected);
  });

  it('labels the revision only when it is known', () => {
    expect(finalStage({ version }).join('\n')).not.toContain('revision');
    expect(finalStage({ version, revision: 'abc123' }).at(-1)).toBe('      org.opencontainers.image.revision="abc123"');
  });
});

describe('parseLdd', () => {
  it('keeps every resolved library and the loader, not the vDSO', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd3b5f0000)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f6ed360a000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f6ed3200000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6ed301e000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f6ed3622000)',
    ].join('\n');
    expect(parseLdd(output)).toEqual([
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });
});
