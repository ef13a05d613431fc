// Structured logs: JSON lines, levels, and no log storms when the same warning repeats under load.
import { expect, test } from 'bun:test';
import { createLogger } from '../src/log.ts';

test('JSON lines at or above the level; a repeated warning is written once a second with a count', async () => {
  const lines: string[] = [];
  const log = createLogger('info', (l) => lines.push(l));
  log.debug('hidden');
  log.info('shown', { room_id: 'r1' });
  for (let i = 0; i < 500; i++) log.warn('storage unavailable', { room_id: 'r1' });
  log.error('another problem');
  expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown', 'storage unavailable', 'another problem']);
  expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', room_id: 'r1' });
  await Bun.sleep(1050);
  log.warn('storage unavailable');
  const last = JSON.parse(lines.at(-1)!);
  expect(last.msg).toBe('storage unavailable');
  expect(last.repeated).toBe(499);
});
