/**
 * @nitrox/kubernetes/testing: an API-server simulator over HTTP or HTTPS on loopback that kubectl, the official
 * Python client and client-node use, with fault injection and builders of realistic objects, for testing Nitrox's
 * Kubernetes source and your own controllers.
 */
export {
  type KubeSimulator,
  type KubeSimulatorOptions,
  type KubeSimulatorStats,
  type SimulatorKubeconfigOptions,
  kubeSimulatorDefaults,
  startKubeSimulator,
} from './kube-simulator.js';
export type { FailRequestsOptions, KubeSimulatorFaults } from './simulator-faults.js';
export {
  type KubeObject,
  SimulatorStore,
  SimulatorStoreError,
  type SimulatorStoreOptions,
  type StatusDetails,
  type DeletePreconditions,
  type StoredEvent,
  type WriteOptions,
} from './simulator-store.js';
export { type EndpointSpec, endpointSlice, endpoints, node, pod, type ServicePortSpec, service } from './fixtures.js';
