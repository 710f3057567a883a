// Load generator process for the benches: autocannon driven from code, so each request can get its
// own ce-id, in its own process so it can be pinned to its own core. Usage:
//   node bench/load.ts '<json options>'   → prints autocannon's result as JSON
// Options: url, connections, seconds, rate?, headers, bodyFile.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  connections: number;
  seconds: number;
  rate?: number;
  headers: Record<string, string>;
  bodyFile: string;
};

const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.seconds,
  method: 'POST',
  headers: opts.headers,
  body: readFileSync(opts.bodyFile),
  // A fresh ce-id per request, set on the headers only (autocannon's idReplacement would rescan
  // the 17 KiB body for placeholders on every request and make the load generator the bottleneck).
  requests: [
    {
      setupRequest: (req: { headers?: Record<string, string> }) => {
        req.headers = { ...req.headers, 'ce-id': randomUUID() };
        return req;
      },
    },
  ],
  ...(opts.rate ? { overallRate: opts.rate } : {}),
});
process.stdout.write(JSON.stringify(result));
