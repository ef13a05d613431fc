// Issue 17: the Redis Cluster forms of STORAGE_URL (no Redis needed).
import { describe, expect, test } from 'bun:test';
import { loadConfig } from '../../src/config.ts';
import { isClusterUrl, parseClusterUrl } from '../../src/storage/redis.ts';

describe('redis-cluster:// STORAGE_URL', () => {
  test('seed nodes, credentials and TLS', () => {
    expect(parseClusterUrl('redis-cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3')).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: 'redis-3', port: 6379 },
      ],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(parseClusterUrl('rediss-cluster://app:p%40ss@h1:6380,[::1]:6381')).toEqual({
      nodes: [
        { host: 'h1', port: 6380 },
        { host: '::1', port: 6381 },
      ],
      tls: true,
      username: 'app',
      password: 'p@ss',
    });
    expect(parseClusterUrl('redis-cluster://:secret@h1:1').password).toBe('secret');
    expect(() => parseClusterUrl('redis-cluster://h1:notaport')).toThrow(/bad node/);
  });

  test('only the -cluster forms open a Cluster; the config accepts every form', () => {
    expect(isClusterUrl('redis-cluster://h:1')).toBe(true);
    expect(isClusterUrl('rediss-cluster://h:1')).toBe(true);
    expect(isClusterUrl('redis://h:1')).toBe(false);
    expect(isClusterUrl('rediss://h:1')).toBe(false);
    for (const url of ['redis-cluster://h:1,h:2', 'rediss-cluster://h:1', 'redis://h:1'])
      expect(loadConfig({ STORAGE_URL: url }).STORAGE_URL).toBe(url);
  });
});
