// Messages between the bench orchestrator (bench/run.ts) and its client processes (bench/client.ts).
import type { HistJson } from './common.ts';

export type Target = { origin: string; kind: 'mayfly' | 'raw' | 'socketio' };

export type SetupCmd = {
  cmd: 'setup';
  target: Target;
  rooms: number;
  roomSize: number;
  /** Every n-th member of a room connects to /live with the cookie (0: none). */
  liveEvery: number;
  httpConcurrency: number;
  connectConcurrency: number;
  /** Shared-clock µs subtracted from timestamps in message content (keeps them short). */
  epochUs: number;
  deadlineMs: number;
};

export type RunCmd = {
  cmd: 'run';
  /** Shared-clock µs when sending starts. */
  startAt: number;
  warmupMs: number;
  measureMs: number;
  drainMs: number;
  /** Messages per second per member. */
  rate: number;
};

export type StormCmd = {
  cmd: 'storm';
  target: Target;
  phase: 'create' | 'join';
  startAt: number;
  durationMs: number;
  concurrency: number;
  roomSize: number;
};

export type Cmd = SetupCmd | RunCmd | StormCmd | { cmd: 'teardown' } | { cmd: 'exit' };

export type Counts = {
  errorFrames: number;
  unexpectedCloses: number;
  closeCodes: Record<string, number>;
  connectFailures: number;
  httpFailures: number;
};

export const emptyCounts = (): Counts => ({ errorFrames: 0, unexpectedCloses: 0, closeCodes: {}, connectFailures: 0, httpFailures: 0 });

export type SetupResult = {
  ev: 'setup';
  members: number;
  connected: number;
  rooms: number;
  ms: number;
  counts: Counts;
  firstError?: string;
};

export type RunResult = {
  ev: 'run';
  sentWindow: number;
  sentTotal: number;
  /** Sends skipped because the client fell behind its schedule or a socket's send queue was full. */
  skipped: number;
  recvWindow: number;
  recvWindowBytes: number;
  recvTotal: number;
  /** Sends × open members of the sender's room: what should arrive. */
  expectedTotal: number;
  otherFrames: number;
  hist: { ws: HistJson; live: HistJson };
  /** Worst latency (µs) per 100 ms slot of the window. */
  timeline: number[];
  counts: Counts;
  openAtEnd: number;
  /** The first error frame or unexpected close of the run, if any (what the errors were). */
  firstError?: string;
};

export type StormResult = {
  ev: 'storm';
  ok: number;
  failed: number;
  hist: HistJson;
  statuses: Record<string, number>;
  firstError?: string;
};

export type Reply = SetupResult | RunResult | StormResult | { ev: 'teardown'; closed: number } | { ev: 'error'; message: string };
