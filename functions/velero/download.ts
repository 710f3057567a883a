// The one outbound HTTP call of a function reading Velero's object store: GET the presigned URL
// a DownloadRequest it created was given, as Velero's CLI does (pkg/cmd/util/downloadrequest/downloadrequest.go `download`):
// the system's trust roots plus the BackupStorageLocation's CA when it has one, 200 or an error,
// no redirect followed (only that URL is ever fetched). Bounded in time and size.

import type { IncomingMessage } from 'node:http';
import { rootCertificates } from 'node:tls';
import { http, https } from '../runtime/http/node-http.ts';

export interface DownloadOptions {
  /** PEM of the storage location's CA (`spec.objectStorage.caCert`), if it has one. */
  caPem?: string;
  timeoutMs: number;
  maxBytes: number;
}

/** The object store answered, but not with the file (404: Velero never uploaded it). */
export class DownloadStatusError extends Error {
  override name = 'DownloadStatusError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

/** Where a presigned URL may point: plain or TLS HTTP, nothing else (no file:, no data:). */
export function checkedUrl(raw: string): URL {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`download URL has scheme ${url.protocol}; only http and https are fetched`);
  return url;
}

/** What the log may show of a presigned URL: never its query (the signature). */
export function redacted(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export function download(raw: string, options: DownloadOptions): Promise<Uint8Array> {
  const url = checkedUrl(raw);
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(
          new DownloadStatusError(
            `GET ${redacted(url)}: HTTP ${res.statusCode}`,
            res.statusCode ?? 0,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > options.maxBytes) {
          req.destroy(new Error(`GET ${redacted(url)}: more than ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', reject);
    };
    const req =
      url.protocol === 'https:'
        ? https.get(
            url,
            {
              ca: options.caPem ? [...rootCertificates, options.caPem] : [...rootCertificates],
              // One request per download: a fresh connection, so every download verifies the
              // certificate the store presents now (no pooled socket, no resumed session).
              agent: false,
            },
            onResponse,
          )
        : http.get(url, { agent: false }, onResponse);
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(new Error(`GET ${redacted(url)}: no answer within ${options.timeoutMs} ms`)),
    );
    req.on('error', reject);
  });
}
