// Runs inside a fresh network namespace (netns.ts starts it with `unshare --net`): relays TCP
// between the namespace's own loopback and Unix sockets, which are files and so cross network
// namespaces. `--out PORT` listens on 127.0.0.1:PORT in here and forwards each connection to
// DIR/out-PORT.sock, where the host side connects to the host's 127.0.0.1:PORT; `--in PORT`
// listens on DIR/in-PORT.sock and forwards to 127.0.0.1:PORT in here. Prints `ready` when all
// listeners are up. Bytes are piped untouched (TLS to the API server passes through).
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    out: { type: 'string', multiple: true, default: [] },
    in: { type: 'string', multiple: true, default: [] },
  },
});
const dir = values.dir;
if (!dir) throw new Error('netns-relay: --dir is required');

function pipe(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

function listen(server: ReturnType<typeof createServer>, where: number | string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'number') server.listen(where, '127.0.0.1', resolve);
    else server.listen(where, resolve);
  });
}

const listening: Promise<void>[] = [];
for (const port of values.out.map(Number)) {
  const server = createServer((s) => pipe(s, connect(join(dir, `out-${port}.sock`))));
  listening.push(listen(server, port));
}
for (const port of values.in.map(Number)) {
  const server = createServer((s) => pipe(s, connect(port, '127.0.0.1')));
  listening.push(listen(server, join(dir, `in-${port}.sock`)));
}
await Promise.all(listening);
process.stdout.write('ready\n');
