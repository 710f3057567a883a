// A replica's own heap, read through the V8 inspector: the test starts the replica with
// `--inspect=127.0.0.1:0`, reads the debugger URL it prints, forces a full collection and asks
// for the heap in use. RSS alone cannot tell a leak from V8 sizing its heap to the allocation
// rate; heap-after-GC can (what is still reachable once everything collectable is gone).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startReplica } from './replicas.ts';
import type { Replica } from './replicas.ts';
import { functionKubeconfig } from './identity.ts';
import type { TestCluster } from '../../harness/index.ts';

/** Node flag that opens the inspector on an ephemeral loopback port. */
export const INSPECT_FLAG = '--inspect=127.0.0.1:0';

/** The debugger URL the replica printed to its log (`Debugger listening on ws://…`). */
export async function inspectorUrl(logFile: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'));
    if (m) return m[1]!;
    if (Date.now() > deadline) throw new Error(`no inspector URL in ${logFile}`);
    await sleep(50);
  }
}

export interface HeapReading {
  /** Bytes reachable after a full, compacting collection. */
  usedAfterGc: number;
  /** Bytes V8 had reserved for the heap at that moment. */
  total: number;
}

/** Forces a full GC in the replica and reads its heap. */
export async function heapAfterGc(url: string): Promise<HeapReading> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)), {
      once: true,
    });
  });
  let nextId = 1;
  type Waiter = { resolve: (result: unknown) => void; reject: (err: Error) => void };
  const pending = new Map<number, Waiter>();
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id === undefined) return;
    const waiter = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) waiter?.reject(new Error(`inspector: ${JSON.stringify(msg.error)}`));
    else waiter?.resolve(msg.result);
  });
  const call = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method }));
    });
  try {
    // Twice: the first collection can leave garbage that finalizers or weak callbacks released.
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
    return { usedAfterGc: usage.usedSize, total: usage.totalSize };
  } finally {
    ws.close();
  }
}

/**
 * One replica of `fn` as its own ServiceAccount (warn-level logs), with its inspector open, and
 * the inspector's URL for heapAfterGc().
 */
export async function startInspectedReplica(
  cluster: TestCluster,
  fn: string,
  dir: string,
): Promise<{ replica: Replica; inspector: string }> {
  const kubeconfig = await functionKubeconfig(cluster, fn);
  const replica = await startReplica({
    fn,
    kubeconfig,
    dir,
    index: 0,
    logLevel: 'warn',
    nodeArgs: [INSPECT_FLAG],
  });
  return { replica, inspector: await inspectorUrl(replica.logFile) };
}
