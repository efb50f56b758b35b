/**
 * @nitrox/kubernetes: the Kubernetes source of Nitrox. List+watch of Services, Endpoints/EndpointSlices,
 * Nodes and Pods over the REST API, projected into one `BackendSet` per selected service; Lease-based leader
 * election. The API-server simulator is in `@nitrox/kubernetes/testing`.
 */
export {
  KubernetesSource,
  type KubernetesSourceEvents,
  type KubernetesSourceOptions,
  type KubernetesSourceStats,
  kubernetesSourceDefaults,
} from './kubernetes-source.js';
export { defaultKubeConfigSearch, type LoadKubeConfigOptions, loadKubeConfig, serviceAccountTokenPath } from './kube-config.js';
export {
  describeTls,
  KubeConnection,
  type KubeConnectionOptions,
  type KubeRequest,
  kubeConnectionDefaults,
} from './kube-connection.js';
export { KubeListWatch, type KubeListWatchOptions, type KubeObjectJson, kubeListWatchDefaults } from './kube-list-watch.js';
export {
  type EndpointGroup,
  type EndpointsInfo,
  excludeFromLoadBalancersLabel,
  type NodeInfo,
  type ServiceInfo,
  type ServicePortInfo,
  serviceNameLabel,
  splitList,
  trimEndpointSlice,
  trimEndpoints,
  trimNode,
  trimService,
} from './kube-model.js';
export { type BackendMode, type DeriveOptions, deriveBackendSet, selectPort } from './derive-backend-set.js';
export {
  apiVersionOf,
  collectionPath,
  type KubeResource,
  type KubeResourceName,
  kubeResources,
  objectKey,
  objectPath,
  resourceOfKind,
} from './resources.js';
export { parseSelector, type SelectorPredicate } from './selectors.js';
export {
  createKubernetesLeaderElector,
  fromMicroTime,
  type KubernetesLeaderElectorOptions,
  KubernetesLeaseLock,
  type KubernetesLeaseLockOptions,
  toMicroTime,
} from './kubernetes-lease-lock.js';
export { kubernetesPlugin } from './plugin.js';
export { type KubernetesEntry, kubernetesEntrySchema, type KubernetesMappingOptions, kubernetesMappingSchema } from './plugin-schema.js';
