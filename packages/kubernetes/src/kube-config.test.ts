import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@nitrox/core';
import { describe, expect, it } from 'vitest';
import { defaultKubeConfigSearch, loadKubeConfig } from './kube-config.js';

const yaml = `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: { server: "https://one.example:6443", insecure-skip-tls-verify: true }
- name: two
  cluster: { server: "https://two.example:6443" }
users:
- name: u
  user: { token: "abc" }
contexts:
- name: first
  context: { cluster: one, user: u, namespace: shop }
- name: second
  context: { cluster: two, user: u }
current-context: first
`;

describe('loadKubeConfig', () => {
  it('loads a file and switches context', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nitrox-kc-'));
    const path = join(dir, 'config');
    await writeFile(path, yaml);
    expect(loadKubeConfig({ path }).getCurrentCluster()?.server).toBe('https://one.example:6443');
    expect(loadKubeConfig({ path, context: 'second' }).getCurrentCluster()?.server).toBe('https://two.example:6443');
    expect(() => loadKubeConfig({ path, context: 'third' })).toThrow(ConfigError);
    expect(() => loadKubeConfig({ path, context: 'third' })).toThrow(/kubernetes\.context.*first, second/);
  });

  it('names the setting when the file cannot be read', () => {
    expect(() => loadKubeConfig({ path: '/nonexistent/kubeconfig' })).toThrow(/kubernetes\.kubeconfig: cannot load \/nonexistent\/kubeconfig/);
  });
});

describe('defaultKubeConfigSearch', () => {
  it('finds $KUBECONFIG, else ~/.kube/config, else lists where it looked', async () => {
    const home = await mkdtemp(join(tmpdir(), 'nitrox-home-'));
    expect(defaultKubeConfigSearch({ KUBECONFIG: '/a:/b', HOME: home }, 'linux')).toEqual({ found: '$KUBECONFIG (/a:/b)' });
    const none = defaultKubeConfigSearch({ HOME: home }, 'linux');
    expect(none).toMatchObject({ looked: ['$KUBECONFIG (unset)', `${join(home, '.kube', 'config')} (absent)`, expect.stringContaining('in-cluster service account')] });
    expect(defaultKubeConfigSearch({}, 'linux')).toMatchObject({ looked: expect.arrayContaining(['~/.kube/config ($HOME unset or unreadable)']) });
  });
});
