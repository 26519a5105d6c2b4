/** A Temporal client from the same config the worker uses. */
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { Config } from '../config';
import { tracingFromConfig } from '../observability/tracing';

export async function connectClient(config: Readonly<Config>): Promise<Client> {
  // envconfig describes the native connection; its address/TLS/API-key fields are the ones the client takes too.
  const connection = await Connection.connect(config.temporal.connection as ConnectionOptions);
  // With OTEL_* tracing on, starts from the API, CLI and demo open the trace the worker continues.
  const tracing = tracingFromConfig(config);
  return new Client({ connection, namespace: config.temporal.namespace, ...(tracing && { plugins: [tracing.plugin] }) });
}

/** The Temporal Web UI page of one run. */
export function runUrl(config: Readonly<Config>, workflowId: string, runId: string): string {
  return `${config.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}
