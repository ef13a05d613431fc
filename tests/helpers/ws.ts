// Test helper: a WebSocket client that records every frame and close, with waits on them.
import { waitFor } from './server.ts';

export type Frame = Record<string, any>;

export class TestSocket {
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private ws: WebSocket;
  readonly opened: Promise<void>;

  constructor(url: string, headers?: Record<string, string>) {
    this.ws = new WebSocket(url, headers ? ({ headers } as any) : undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = () => reject(new Error('socket error'));
    });
    this.ws.onmessage = (e) => {
      const text = String(e.data);
      this.raw.push(text);
      try {
        this.frames.push(JSON.parse(text));
      } catch {
        this.frames.push({ type: '__html', html: text });
      }
    };
    this.ws.onclose = (e) => {
      this.closed = { code: e.code, reason: e.reason };
    };
  }

  send(data: unknown) {
    this.ws.send(typeof data === 'string' ? data : JSON.stringify(data));
  }

  sendBinary(data: Uint8Array) {
    this.ws.send(data);
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  async next(predicate: (f: Frame) => boolean, timeoutMs = 5000, what = 'frame'): Promise<Frame> {
    let found: Frame | undefined;
    await waitFor(() => !!(found = this.frames.find(predicate)), timeoutMs, what);
    return found!;
  }

  async type(type: string, timeoutMs = 5000): Promise<Frame> {
    return this.next((f) => f.type === type, timeoutMs, `a ${type} frame`);
  }

  async closedWith(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closed !== null, timeoutMs, 'socket close');
    return this.closed!;
  }

  close() {
    this.ws.close();
  }
}

export async function connect(url: string, headers?: Record<string, string>): Promise<TestSocket> {
  const s = new TestSocket(url, headers);
  await s.opened;
  return s;
}
