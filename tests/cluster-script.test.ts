// scripts/cluster.sh: redis-server + two instances + a WebSocket-aware balancer, used as a person would.
import { afterEach, describe, expect, test } from 'bun:test';
import { need } from './helpers/requirements.ts';
import { type Cluster, startCluster } from './helpers/cluster.ts';
import { createRoom } from './helpers/server.ts';
import { connect } from './helpers/ws.ts';

const hasRedis = need('redis-server');
const balancers: Array<[string, Record<string, string>]> = [['bun balancer', { NO_NGINX: '1' }]];
if (hasRedis && need('nginx')) balancers.push(['nginx', {}]);

describe.skipIf(!hasRedis)('scripts/cluster.sh', () => {
  let cluster: Cluster | null = null;
  afterEach(async () => {
    await cluster?.stop();
    cluster = null;
  });

  for (const [name, env] of balancers) {
    test(`two instances behind the ${name}: people on different instances chat in one room`, async () => {
      cluster = await startCluster(2, env);
      const origin = cluster.origin;
      const room = await createRoom(origin, { name: 'lb', owner_name: 'o' });
      const a = await connect(`${origin.replace('http', 'ws')}/rooms/${room.room_id}/ws?username=ann`);
      const b = await connect(`${origin.replace('http', 'ws')}/rooms/${room.room_id}/ws?username=ben`);
      await a.type('history');
      await b.type('history');
      a.send({ type: 'message', content: 'through the balancer' });
      expect((await b.next((f) => f.type === 'message')).content).toBe('through the balancer');
      b.send({ type: 'message', content: 'and back' });
      expect((await a.next((f) => f.type === 'message' && f.content === 'and back')).seq).toBe(2);
      a.close();
      b.close();
    }, 40000);
  }
});
