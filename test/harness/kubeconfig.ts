// Kubeconfig files for the test plane: one cluster (loopback, its self-signed CA) and a bearer token.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  /** PEM bundle the API server's certificate chains to. */
  caPem: string;
  token: string;
  user: string;
  namespace?: string;
}

export function renderKubeconfig(input: KubeconfigInput): string {
  const context: Record<string, string> = { cluster: 'test-plane', user: input.user };
  if (input.namespace) context['namespace'] = input.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'test-plane',
        cluster: {
          server: input.server,
          'certificate-authority-data': Buffer.from(input.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name: input.user, user: { token: input.token } }],
    contexts: [{ name: input.user, context }],
    'current-context': input.user,
  });
}

/** Written owner-only: the file holds a credential. */
export function writeKubeconfig(path: string, input: KubeconfigInput): string {
  writeFileSync(path, renderKubeconfig(input), { mode: 0o600 });
  return path;
}
