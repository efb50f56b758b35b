/**
 * Where a swarm node can be reached. `Status.Addr` is the node's advertised address, but a manager often
 * reports 0.0.0.0 or 127.0.0.1 there; the host part of `ManagerStatus.Addr` (`ip:2377`) is right then.
 * Also the node eligibility rules shared by every publish mode: down and drained nodes drop out.
 */
import type { SwarmNode } from './engine-types.js';

const unusable = new Set(['', '0.0.0.0', '127.0.0.1', '::', '::1']);

/** The address members on `node` are reached at, or `undefined` when the node reports none usable. */
export function nodeAddress(node: SwarmNode): string | undefined {
  const addr = node.Status?.Addr?.trim() ?? '';
  if (!unusable.has(addr)) return addr;
  const managerAddr = node.ManagerStatus?.Addr?.trim();
  if (managerAddr === undefined || managerAddr === '') return undefined;
  const host = hostPart(managerAddr);
  return host === undefined || unusable.has(host) ? undefined : host;
}

/** `10.0.0.1:2377` → `10.0.0.1`; `[fd00::1]:2377` → `fd00::1`; a bare address stays as it is. */
function hostPart(hostPort: string): string | undefined {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    return end > 1 ? hostPort.slice(1, end) : undefined;
  }
  const colons = hostPort.split(':').length - 1;
  if (colons === 1) return hostPort.slice(0, hostPort.indexOf(':'));
  return hostPort; // no port, or a bare IPv6 address
}

/** A node whose tasks may serve traffic: ready and not drained (paused nodes keep running their tasks). */
export function nodeServesTasks(node: SwarmNode | undefined): node is SwarmNode {
  return node !== undefined && node.Status?.State === 'ready' && node.Spec?.Availability !== 'drain';
}

/** A node that takes routing-mesh (ingress) traffic: ready and active. */
export function nodeServesIngress(node: SwarmNode | undefined): node is SwarmNode {
  return node !== undefined && node.Status?.State === 'ready' && node.Spec?.Availability === 'active';
}
