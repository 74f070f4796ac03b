/** The yardstick for the serving load benchmark: Fastify answering a POST with constant JSON. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const answer = { ranking: [{ id: 'a', probability: 1 }], eventId: 'constant', rewardActionId: 'a' };
app.post('/rank', async (_request, reply) => reply.code(201).send(answer));
const address = await app.listen({ port: Number(process.argv[2] ?? 18_200), host: '127.0.0.1' });
console.log(`bare fastify serving on ${address}`);
