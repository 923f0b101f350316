/** Prometheus metrics: the interface instrumented code calls, its prom-client implementation and the listener. */
export { NO_METRICS, type Metrics, type PrefetchResult, type StateComponent } from './types';
export { createPrometheusMetrics, type PrometheusMetricsOptions } from './prometheus';
export { startMetricsListener, workerMetrics, type MetricsListener, type MetricsListenerOptions, type MetricsSource } from './server';
