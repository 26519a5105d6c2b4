/**
 * Floor for the serving benchmarks: a bare Fastify server that parses the same JSON bodies and
 * answers constants. Run as its own process, like the model server.
 * - `/v1/models/:name/predict`: a constant `/v1` prediction (the /v1 route's floor).
 * - `/v2/models/:name/infer`: a constant Open Inference Protocol response of the model server's
 *   shape and size for one binary row (the bytes the protocol itself costs, with nothing behind them).
 */
import Fastify from 'fastify';

const REQUEST_ID = '00000000-0000-4000-8000-000000000000';
const ANSWER = { requestId: REQUEST_ID, version: 1, predictions: [{ score: 0.25, label: 0 }] };
const OIP_ANSWER = {
  model_name: 'flight-delay',
  model_version: '1',
  id: REQUEST_ID,
  parameters: { request_id: REQUEST_ID },
  outputs: [
    { name: 'probability', datatype: 'FP32', shape: [1], data: [0.2512345612049103] },
    { name: 'label', datatype: 'INT64', shape: [1], data: [0] },
  ],
};

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/v1/models/:name/predict', async () => ANSWER);
  app.post('/v2/models/:name/infer', async () => OIP_ANSWER);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ msg: 'bare fastify listening', address }));
  process.once('SIGTERM', () => void app.close());
}

void main();
