/**
 * Floor for the serving benchmark: a bare Fastify server whose one route parses the same
 * JSON body and answers a constant prediction. Run as its own process, like the model server.
 */
import Fastify from 'fastify';

const ANSWER = { requestId: '00000000-0000-4000-8000-000000000000', version: 1, predictions: [{ score: 0.25, label: 0 }] };

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/v1/models/:name/predict', async () => ANSWER);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ msg: 'bare fastify listening', address }));
  process.once('SIGTERM', () => void app.close());
}

void main();
