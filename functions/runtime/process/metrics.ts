// Prometheus metrics of one function process: events by type and outcome, handling time, and
// Kubernetes API calls by verb/resource/outcome (fed by the Kube adapter's observer).
// A registry per server instance, never prom-client's global one, so tests can run several.

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface KubeObserver {
  kubeCall(verb: string, resource: string, outcome: string, seconds: number): void;
}

export interface RuntimeMetrics {
  registry: Registry;
  eventHandled(type: string, outcome: string, seconds: number): void;
  kube: KubeObserver;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(functionName: string): RuntimeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ function: functionName });
  collectDefaultMetrics({ register: registry });
  const events = new Counter({
    name: 'vmgroup_events_total',
    help: 'CloudEvents received, by type (the matched binding type, or "unmatched"/"invalid") and outcome',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'vmgroup_event_duration_seconds',
    help: 'Time from request body received to response, by type and outcome',
    labelNames: ['type', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const kubeCalls = new Counter({
    name: 'vmgroup_kube_api_calls_total',
    help: 'Kubernetes API calls by verb, resource and outcome',
    labelNames: ['verb', 'resource', 'outcome'],
    registers: [registry],
  });
  const kubeDuration = new Histogram({
    name: 'vmgroup_kube_api_call_duration_seconds',
    help: 'Kubernetes API call latency by verb and resource',
    labelNames: ['verb', 'resource'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    eventHandled(type, outcome, seconds) {
      events.inc({ type, outcome });
      duration.observe({ type, outcome }, seconds);
    },
    kube: {
      kubeCall(verb, resource, outcome, seconds) {
        kubeCalls.inc({ verb, resource, outcome });
        kubeDuration.observe({ verb, resource }, seconds);
      },
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
