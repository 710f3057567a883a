// A program in a network namespace of its own, for the one Knative component whose ports are
// hard-coded: the in-memory channel dispatcher listens on :8080 (and :8443), and Velero already
// holds :8080 on the host. `unshare --net` (root) gives it a private loopback; netns-relay.ts,
// started first in that namespace, joins the two sides through Unix sockets: the ports in
// `outbound` (the API server, the cluster proxy) reach the host's loopback, the ports in
// `inbound` are reachable from the host at `socketPath(port)`. The program itself joins the
// relay's namespace with nsenter, so it runs unchanged.
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, stopProcess, waitReady } from './proc.ts';
import type { Managed, StartOptions } from './proc.ts';

const RELAY = fileURLToPath(new URL('./netns-relay.ts', import.meta.url));

export interface Namespaced {
  /** The relay, then the program: stop them in reverse. */
  processes: Managed[];
  /** Where the host connects to reach `inbound` port `port` inside the namespace. */
  socketPath(port: number): string;
  close(): Promise<void>;
}

function pipe(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
}

export async function startInNetns(
  name: string,
  exe: string,
  args: string[],
  dir: string,
  ports: { outbound: number[]; inbound: number[] },
  options: StartOptions,
): Promise<Namespaced> {
  const sockets = join(dir, `netns-${name}`);
  mkdirSync(sockets, { recursive: true });
  // Host side of each outbound port: its Unix socket, forwarded to the host's loopback.
  const servers: Server[] = [];
  for (const port of ports.outbound) {
    const server = createServer((s) => pipe(s, connect(port, '127.0.0.1')));
    await new Promise<void>((r) => server.listen(join(sockets, `out-${port}.sock`), r));
    servers.push(server);
  }
  const { reaper, ...rest } = options;
  const relayArgs = [
    '--net',
    '--',
    '/bin/sh',
    '-c',
    'ip link set lo up && exec "$0" "$@"',
    process.execPath,
    RELAY,
    '--dir',
    sockets,
    ...ports.outbound.flatMap((p) => ['--out', String(p)]),
    ...ports.inbound.flatMap((p) => ['--in', String(p)]),
  ];
  const relay = startProcess(
    `${name}-netns`,
    'unshare',
    relayArgs,
    join(dir, `${name}-netns.log`),
    rest,
  );
  // unshare and sh exec in place: the pid ends up running node (the reaper matches argv[0]).
  if (relay.child.pid) reaper?.watchProcess(relay.child.pid, process.execPath);
  await waitReady(relay, 30_000, async () => readFileSync(relay.logFile, 'utf8').includes('ready'));
  const program = startProcess(
    name,
    'nsenter',
    [`--net=/proc/${relay.child.pid}/ns/net`, '--', exe, ...args],
    join(dir, `${name}.log`),
    rest,
  );
  if (program.child.pid) reaper?.watchProcess(program.child.pid, exe);
  return {
    processes: [relay, program],
    socketPath: (port) => join(sockets, `in-${port}.sock`),
    async close() {
      await stopProcess(program);
      await stopProcess(relay);
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}
