/**
 * OpenTelemetry tracing across client → workflow → activities, with Temporal's official
 * `@temporalio/interceptors-opentelemetry` plugin. Off unless the standard OTEL_* variables turn
 * it on (config.observability.tracing); the OTLP exporter reads OTEL_EXPORTER_OTLP_* itself.
 *
 * Workflow spans are made in the sandbox and leave it through the plugin's sink, so they are
 * exported by the worker that ran the workflow task; activity spans are children of the
 * workflow's `StartActivity` spans through the activity headers.
 */
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../config';

export interface TracingOptions {
  /** `service.name` of every span. */
  serviceName: string;
  /** Where spans go: an OTLP/HTTP exporter, the console, or a processor the caller built (tests). */
  exporter: 'otlp' | 'console' | { spanProcessor: SpanProcessor };
}

export interface Tracing {
  /** Give it to `Worker.create({ plugins })` and `new Client({ plugins })`. */
  plugin: OpenTelemetryPlugin;
  tracer: Tracer;
  /** Flushes buffered spans and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Builds the tracer provider and registers it globally: the Temporal interceptors propagate span
 * context through the global W3C propagator, and client spans need the async-hooks context manager.
 */
export function startTracing(o: TracingOptions): Tracing {
  const spanProcessor =
    typeof o.exporter === 'object'
      ? o.exporter.spanProcessor
      : new BatchSpanProcessor(o.exporter === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter());
  const resource = new Resource({ 'service.name': o.serviceName });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const tracer = provider.getTracer('slipway');
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor, tracer }),
    tracer,
    shutdown: () => provider.shutdown(),
  };
}

let fromConfig: Tracing | undefined;

/** The process's tracing when OTEL_* asks for it (one provider per process); undefined when off. */
export function tracingFromConfig(config: Pick<Readonly<Config>, 'observability'>): Tracing | undefined {
  const t = config.observability.tracing;
  if (!t) return undefined;
  fromConfig ??= startTracing({ serviceName: t.serviceName, exporter: t.exporter });
  return fromConfig;
}
