// A minimal WebSocket client over Bun.connect, for load generation: thousands of sockets per
// process, frames parsed straight out of the TCP chunks (many frames per data callback) with no
// per-frame event objects or string decoding. Client frames are masked with a zero key (allowed by
// RFC 6455 framing; servers unmask either way), so sending costs one small allocation and a write.
import type { Socket } from 'bun';

export const OP_TEXT = 0x1;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

const CONNECTING = 0;
const HANDSHAKE = 1;
const OPEN = 2;
const CLOSED = 3;

export type FrameHandler = (c: WsConn, opcode: number, buf: Buffer, start: number, end: number, recvUs: number) => void;
export type CloseHandler = (c: WsConn, code: number, wasOpen: boolean) => void;

/** One client socket; `tag` is free for the caller (member state). */
export class WsConn<T = any> {
  socket: Socket<WsConn<T>> | null = null;
  state = CONNECTING;
  rest: Buffer | null = null;
  out: Uint8Array[] | null = null;
  outBytes = 0;
  closeCode = 0;
  resolveOpen: ((ok: boolean) => void) | null = null;
  status = '';

  constructor(public tag: T) {}

  get open(): boolean {
    return this.state === OPEN;
  }
}

export type WsClientOptions = {
  host: string;
  port: number;
  now: () => number;
  onFrame: FrameHandler;
  onClose: CloseHandler;
};

const CRLF2 = Buffer.from('\r\n\r\n');

export class WsClient {
  private handlers: Parameters<typeof Bun.connect<WsConn>>[0]['socket'];

  constructor(private opts: WsClientOptions) {
    const self = this;
    this.handlers = {
      open(socket) {
        const c = socket.data;
        c.socket = socket;
        c.state = HANDSHAKE;
        socket.setNoDelay?.(true);
      },
      data(socket, chunk) {
        self.onData(socket.data, chunk as Buffer);
      },
      drain(socket) {
        self.flush(socket.data);
      },
      close(socket) {
        self.closed(socket.data);
      },
      error(socket) {
        self.closed(socket.data);
      },
      connectError(socket) {
        self.closed(socket.data);
      },
    };
  }

  /** Opens the socket and completes the upgrade; resolves false on any failure. */
  connect(c: WsConn, path: string, extraHeaders = ''): Promise<boolean> {
    const { host, port } = this.opts;
    const request =
      `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: bWF5Zmx5LWJlbmNoLWtleQ==\r\nSec-WebSocket-Version: 13\r\n${extraHeaders}\r\n`;
    const opened = new Promise<boolean>((resolve) => (c.resolveOpen = resolve));
    Bun.connect<WsConn>({ hostname: host, port, data: c, socket: this.handlers }).then(
      (socket) => {
        c.socket = socket;
        if (c.state === CLOSED) return;
        c.state = HANDSHAKE;
        socket.write(request);
      },
      () => this.closed(c),
    );
    return opened;
  }

  private onData(c: WsConn, chunk: Buffer): void {
    const recvUs = this.opts.now();
    let b = chunk;
    if (c.rest) {
      b = Buffer.concat([c.rest, chunk]);
      c.rest = null;
    }
    let off = 0;
    const len = b.length;
    if (c.state === HANDSHAKE) {
      const idx = b.indexOf(CRLF2);
      if (idx < 0) {
        c.rest = Buffer.from(b);
        return;
      }
      c.status = b.toString('latin1', 0, Math.min(idx, 64)).split('\r\n')[0]!;
      if (!c.status.startsWith('HTTP/1.1 101')) {
        c.socket?.end();
        this.closed(c);
        return;
      }
      c.state = OPEN;
      c.resolveOpen?.(true);
      c.resolveOpen = null;
      off = idx + 4;
    }
    const onFrame = this.opts.onFrame;
    while (len - off >= 2) {
      const b0 = b[off]!;
      const b1 = b[off + 1]!;
      let plen = b1 & 0x7f;
      let hdr = 2;
      if (plen === 126) {
        if (len - off < 4) break;
        plen = (b[off + 2]! << 8) | b[off + 3]!;
        hdr = 4;
      } else if (plen === 127) {
        if (len - off < 10) break;
        plen = b.readUInt32BE(off + 2) * 2 ** 32 + b.readUInt32BE(off + 6);
        hdr = 10;
      }
      if (b1 & 0x80) hdr += 4; // servers do not mask; tolerate it anyway (payload left masked)
      if (len - off < hdr + plen) break;
      const start = off + hdr;
      const end = start + plen;
      const opcode = b0 & 0x0f;
      if (opcode === OP_PING) this.control(c, OP_PONG, b.subarray(start, end));
      else if (opcode === OP_CLOSE) {
        c.closeCode = plen >= 2 ? (b[start]! << 8) | b[start + 1]! : 1005;
        this.control(c, OP_CLOSE, b.subarray(start, Math.min(end, start + 2)));
        c.socket?.end();
      } else onFrame(c, opcode, b, start, end, recvUs);
      off = end;
    }
    if (off < len) c.rest = Buffer.from(b.subarray(off));
  }

  private control(c: WsConn, opcode: number, payload: Uint8Array): void {
    const f = new Uint8Array(6 + payload.length);
    f[0] = 0x80 | opcode;
    f[1] = 0x80 | payload.length;
    f.set(payload, 6);
    this.write(c, f);
  }

  /** Sends an ASCII text frame; false when the socket is not open. */
  sendText(c: WsConn, s: string): boolean {
    if (c.state !== OPEN) return false;
    const n = s.length;
    const hdr = n < 126 ? 2 : 4;
    const f = new Uint8Array(hdr + 4 + n);
    f[0] = 0x81;
    if (n < 126) f[1] = 0x80 | n;
    else {
      f[1] = 0x80 | 126;
      f[2] = n >> 8;
      f[3] = n & 0xff;
    }
    const base = hdr + 4;
    for (let i = 0; i < n; i++) f[base + i] = s.charCodeAt(i);
    this.write(c, f);
    return true;
  }

  private write(c: WsConn, f: Uint8Array): void {
    const s = c.socket;
    if (!s || c.state === CLOSED) return;
    if (c.out) {
      c.out.push(f);
      c.outBytes += f.length;
      return;
    }
    const w = s.write(f);
    if (w < f.length) {
      const rest = f.subarray(Math.max(w, 0));
      c.out = [rest];
      c.outBytes = rest.length;
    }
  }

  private flush(c: WsConn): void {
    const s = c.socket;
    if (!s || !c.out) return;
    while (c.out.length) {
      const f = c.out[0]!;
      const w = s.write(f);
      if (w < f.length) {
        c.out[0] = f.subarray(Math.max(w, 0));
        c.outBytes -= Math.max(w, 0);
        return;
      }
      c.outBytes -= f.length;
      c.out.shift();
    }
    c.out = null;
    c.outBytes = 0;
  }

  private closed(c: WsConn): void {
    if (c.state === CLOSED) return;
    const wasOpen = c.state === OPEN;
    c.state = CLOSED;
    c.out = null;
    c.rest = null;
    if (c.resolveOpen) {
      c.resolveOpen(false);
      c.resolveOpen = null;
    }
    this.opts.onClose(c, c.closeCode || 1006, wasOpen);
  }

  /** Ends the socket (close frame, then FIN). */
  close(c: WsConn): void {
    if (c.state === OPEN) this.control(c, OP_CLOSE, new Uint8Array([0x03, 0xe8]));
    c.socket?.end();
    if (c.state !== OPEN) this.closed(c);
  }
}
