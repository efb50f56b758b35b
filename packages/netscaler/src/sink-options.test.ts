import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { NitroClient } from './nitro-client.js';
import { defaultServicegroupName, type NetScalerSinkOptions, resolveSinkOptions } from './sink-options.js';

const base: NetScalerSinkOptions = { client: { url: 'http://127.0.0.1:1', username: 'u', password: 'p' }, lbvserver: 'vs' };

describe('resolveSinkOptions', () => {
  it('applies the safe defaults', () => {
    const o = resolveSinkOptions(base);
    expect(o).toMatchObject({ servicetype: 'HTTP', ownerComment: 'managed-by=nitrox', allowEmpty: false, startupGuard: 'first-apply', graceful: false, bulkUnbind: true, bindMethod: 'put', bulkSize: 100, ownsClient: true });
    expect(o.lbvserver('anything')).toBe('vs');
    expect(o.isOwnedMember({ ip: '1.2.3.4', servername: '1.2.3.4', port: 1, weight: 1 })).toBe(true);
    expect(o.isOwnedMember({ ip: '1.2.3.4', servername: 'named', port: 1, weight: 1 })).toBe(false);
  });

  it('does not own a client it was given', () => {
    const client = new NitroClient({ url: 'http://127.0.0.1:1', username: 'u', password: 'p' });
    expect(resolveSinkOptions({ ...base, client }).ownsClient).toBe(false);
  });

  it.each([
    [{ lbvserver: '' }, 'lbvserver'],
    [{ ownByPrefix: true }, 'ownByPrefix'],
    [{ servicetype: 'http' }, 'servicetype'],
    [{ bulkSize: 0 }, 'bulkSize'],
    [{ defaultWeight: 101 }, 'defaultWeight'],
    [{ startupGuard: 'never' }, 'startupGuard'],
    [{ allowEmpty: 'yes' }, 'allowEmpty'],
    [{ bulkUnbind: 1 }, 'bulkUnbind'],
    [{ bindMethod: 'patch' }, 'bindMethod'],
    [{ gracefulDelaySeconds: -1 }, 'gracefulDelaySeconds'],
    [{ client: { url: 'nope', username: 'u', password: 'p' } }, 'client.url'],
  ])('rejects %o naming %s', (patch, path) => {
    const error = (() => {
      try {
        resolveSinkOptions({ ...base, ...(patch as object) } as NetScalerSinkOptions);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
  });

  it('derives servicegroup names NetScaler accepts', () => {
    expect(defaultServicegroupName('', 'default/web')).toBe('default_web');
    expect(defaultServicegroupName('nx-', 'a b#c')).toBe('nx-a b#c');
    expect(defaultServicegroupName('', '-x')).toBe('_-x');
    expect(defaultServicegroupName('', 'x'.repeat(200))).toHaveLength(127);
  });
});
