/** A tiny ingest-only pipeline over one source, for the data-roots attacks. */
import { ingestParams } from '../../validation/flight-files';

export function ingestOnly(sourcePath: string, format?: 'csv' | 'parquet') {
  const params = ingestParams(sourcePath, { from: '2001-03-01', to: '2001-03-02' });
  return {
    name: 'probe',
    model: 'probe',
    steps: [{ id: 'ingest', kind: 'ingest', with: { ...params, source: { path: sourcePath, ...(format ? { format } : {}) } } }],
  };
}
