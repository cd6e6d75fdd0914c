/**
 * rxloop/schedulers: `serve` and the topologies it runs one handler module on (single, pooled and
 * multi-reactor), and the reactor's RxJS scheduler.
 *
 * @module rxloop/schedulers
 */

// Serving a handler module
export { serve } from './serve.js';
export type { Handler } from '../operators/handle.js';
export type {
  ReactorStats,
  ServeListenOptions,
  ServeOptions,
  Server,
  ServerEvent,
  ServerStats,
  Topology,
} from './Topology.js';

// Topologies
export { singleReactor, SingleReactor } from './singleReactor.js';
export { pooledReactor, PooledReactor } from './pooledReactor.js';
export type { PooledReactorOptions } from './pooledReactor.js';
export { multiReactor, multiReactorService, MultiReactor } from './multiReactor.js';
export { serviceLink } from './serviceLink.js';
export type { MultiReactorOptions } from './MultiReactorOptions.js';

// The reactor's RxJS scheduler
export { ReactorScheduler } from './ReactorScheduler.js';
export type { ReactorSchedulerOptions } from './ReactorScheduler.js';

// Production: metrics, health and the dashboard
export { serveAdmin } from './serveAdmin.js';
export type { AdminOptions, AdminServer } from './serveAdmin.js';
export { prometheusText, PROMETHEUS_CONTENT_TYPE } from './prometheusText.js';
