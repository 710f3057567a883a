// The cluster's Service names on loopback: an HTTP forward proxy that Knative's programs reach
// through HTTP_PROXY (their clients clone net/http's DefaultTransport, which honours it; loopback
// addresses, such as the API server's, are never proxied). A `name.namespace.svc.cluster.local`
// host goes to the loopback endpoint the harness registered for that Service, or, for an
// ExternalName Service (an InMemoryChannel's `<name>-kn-channel` points at the dispatcher's
// Service), to what its externalName resolves to, read from the API server as cluster DNS would.
// Every exchange is reported whole, so the tests see what crossed the Broker's hops.
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Kube, KubeObject } from '../../../functions/runtime/kube/kube-api.ts';

interface ServiceSpec {
  type?: string;
  externalName?: string;
}

/** Where a Service's traffic goes: a loopback port, or a Unix socket (a network namespace). */
export type Endpoint = { port: number } | { socketPath: string };

export interface Exchange {
  /** Host as the client asked for it, without the port. */
  host: string;
  method: string;
  path: string;
  requestHeaders: IncomingHttpHeaders;
  requestBody: Buffer;
  /** HTTP status; -1 when the upstream gave no answer. */
  status: number;
  responseHeaders: IncomingHttpHeaders;
  responseBody: Buffer;
  startedAt: number;
  doneAt: number;
}

export interface ClusterProxy {
  /** http://127.0.0.1:PORT, for HTTP_PROXY. */
  url: string;
  port: number;
  /** Maps `name.namespace.svc.cluster.local` (and `name.namespace.svc`) to an endpoint. */
  register(service: string, namespace: string, endpoint: Endpoint): void;
  close(): Promise<void>;
}

export interface ClusterProxyOptions {
  /** Reads Services for ExternalName resolution. */
  admin: Kube;
  /** Called when an exchange starts (for in-flight tracking) and when it ends. */
  onStart?: (host: string, path: string) => void;
  onExchange?: (x: Exchange) => void;
  log?: (line: string) => void;
}

const CLUSTER_SUFFIX = /\.svc(?:\.cluster\.local)?\.?$/;

/** `name.namespace.svc.cluster.local` → [name, namespace]; undefined for any other host. */
export function serviceOfHost(host: string): [string, string] | undefined {
  if (!CLUSTER_SUFFIX.test(host)) return undefined;
  const parts = host.replace(CLUSTER_SUFFIX, '').split('.');
  return parts.length === 2 ? [parts[0]!, parts[1]!] : undefined;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

// Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own: not forwarded.
const HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'transfer-encoding', 'te']);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP.has(k)));
}

export async function startClusterProxy(options: ClusterProxyOptions): Promise<ClusterProxy> {
  const endpoints = new Map<string, Endpoint>();
  const log = options.log ?? (() => {});

  async function resolve(host: string, depth = 0): Promise<Endpoint | undefined> {
    const svc = serviceOfHost(host);
    if (!svc || depth > 3) return undefined;
    const known = endpoints.get(`${svc[0]}.${svc[1]}`);
    if (known) return known;
    const found = await options.admin.get<KubeObject & { spec?: ServiceSpec }>({
      apiVersion: 'v1',
      kind: 'Service',
      namespace: svc[1],
      name: svc[0],
    });
    const external = found?.spec?.type === 'ExternalName' ? found.spec.externalName : undefined;
    return external ? resolve(external, depth + 1) : undefined;
  }

  function send(endpoint: Endpoint, req: IncomingMessage, path: string, body: Buffer) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>(
      (done, fail) => {
        const upstream = request(
          {
            ...('port' in endpoint ? { host: '127.0.0.1', port: endpoint.port } : endpoint),
            method: req.method,
            path,
            headers: { ...forwardable(req.headers), 'content-length': String(body.length) },
          },
          (res) => {
            readAll(res).then(
              (b) => done({ status: res.statusCode ?? -1, headers: res.headers, body: b }),
              fail,
            );
          },
        );
        upstream.on('error', fail);
        upstream.end(body);
      },
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const target = new URL(req.url ?? '/', 'http://invalid');
    const host = target.hostname;
    const path = `${target.pathname}${target.search}`;
    options.onStart?.(host, path);
    const requestBody = await readAll(req);
    const endpoint =
      req.method === 'CONNECT' ? undefined : await resolve(host).catch(() => undefined);
    let status = -1;
    let responseHeaders: IncomingHttpHeaders = {};
    let responseBody: Buffer = Buffer.alloc(0);
    if (!endpoint) {
      log(`cluster-proxy: no endpoint for ${req.method} ${host}${path}`);
      // What a client sees for an unknown cluster name: no such host.
      res.writeHead(502).end();
    } else {
      try {
        const answer = await send(endpoint, req, path, requestBody);
        ({ status, headers: responseHeaders, body: responseBody } = answer);
        res.writeHead(status, forwardable(answer.headers)).end(answer.body);
      } catch (err) {
        log(`cluster-proxy: ${req.method} ${host}${path}: ${(err as Error).message}`);
        res.destroy();
      }
    }
    options.onExchange?.({
      host,
      method: req.method ?? '',
      path,
      requestHeaders: req.headers,
      requestBody,
      status,
      responseHeaders,
      responseBody,
      startedAt,
      doneAt: Date.now(),
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log(`cluster-proxy: ${err.message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('cluster-proxy: no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    register(service, namespace, endpoint) {
      endpoints.set(`${service}.${namespace}`, endpoint);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
