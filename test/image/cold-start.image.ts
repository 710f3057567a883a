// Cold start from the image versus from dist/ on the host, for one function: spawn → readiness 200
// and spawn → first event answered (its PATCH read back), median of VVF_IMAGE_COLD_START runs of
// each, alternated. A measurement, registered only when that variable is set:
//   VVF_IMAGE_COLD_START=7 bash /work/wt/heavy.sh npm run test:image -- --grep 'cold start'
// "Spawn" is `buildah run` for the image (after the working container is made: with vfs that is a
// full copy of the image, which an overlay runtime does not pay; reported apart) and `node` for
// dist/, both with the image's ENTRYPOINT flags and CMD. `buildah run -- /bin/true` is reported as
// the runner's own cost.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../harness/processes.ts';
import { postEvent } from '../support/cloudevents.ts';
import { imageConfig, startContainer } from '../../scripts/image/container.ts';
import { containerFrom, serve } from './probe.ts';
import { deploy, serviceFor } from './deploy.ts';
import type { Deployed } from './deploy.ts';
import { SCENARIOS } from './scenarios.ts';
import type { Prepared } from './scenarios.ts';

const RUNS = Number(process.env['VVF_IMAGE_COLD_START'] ?? 0);
const FN = process.env['VVF_IMAGE_COLD_START_FUNCTION'] ?? 'backup-guard';
const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  /** Spawn → readiness 200. */
  readyMs: number;
  /** Spawn → the first event's reply. */
  eventMs: number;
  /** Making the working container (image only). */
  createMs?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function untilReady(url: string, exited: () => boolean, output: () => string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited()) throw new Error(`exited before ready:\n${output()}`);
    const res = await fetch(`${url}/health/readiness`).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready after 60 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function answer(url: string, p: Prepared): Promise<number> {
  const res = await postEvent(url, p.event);
  const at = performance.now();
  assert.ok(res.status >= 200 && res.status < 300, `status ${res.status}`);
  assert.equal(res.reply?.type, p.replyType);
  await p.verify();
  return at;
}

async function prepare(d: Deployed): Promise<Prepared> {
  return SCENARIOS[FN]!({
    admin: d.admin,
    veleroNs: d.veleroNs,
    appNs: await d.plane.newNamespace(`cold-${FN}`),
  });
}

async function fromImage(d: Deployed): Promise<Run> {
  const p = await prepare(d);
  const s = await serve({ plane: d.plane, svc: serviceFor(d, FN), image: d.image });
  try {
    const at = await answer(s.url, p);
    return { readyMs: s.readyMs, eventMs: at - s.container.startedAt, createMs: s.createMs };
  } finally {
    assert.equal(await s.container.stop('SIGTERM', 10_000), 0);
    s.cleanup();
    await p.cleanup?.();
  }
}

async function fromDist(d: Deployed): Promise<Run> {
  const p = await prepare(d);
  const svc = serviceFor(d, FN);
  const { env } = containerFrom(svc, d.image);
  const config = imageConfig(d.image);
  const kubeconfig = await d.plane.kubeconfigForServiceAccount(
    svc.metadata.namespace!,
    (svc['spec'] as { template: { spec: { serviceAccountName: string } } }).template.spec
      .serviceAccountName,
  );
  const port = await freePort();
  const argv = [...(config.Entrypoint ?? []).slice(1), ...(config.Cmd ?? [])].map((a) =>
    a.startsWith('/app/') ? `${REPO}${a.slice('/app/'.length)}` : a,
  );
  const imageEnv = Object.fromEntries((config.Env ?? []).map((e) => e.split(/=(.*)/s, 2)));
  const t0 = performance.now();
  const child = spawn(process.execPath, [...argv, '--kubeconfig', kubeconfig], {
    env: { PATH: process.env['PATH'], ...imageEnv, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  try {
    await untilReady(
      url,
      () => child.exitCode !== null,
      () => out,
    );
    const readyMs = performance.now() - t0;
    const at = await answer(url, p);
    return { readyMs, eventMs: at - t0 };
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    await p.cleanup?.();
  }
}

/** `buildah run <container> -- /bin/true`: what the runner itself costs per start. */
async function runnerOverhead(d: Deployed): Promise<number> {
  const c = await startContainer({
    image: d.image,
    name: 'cold-true',
    env: {},
    command: ['/bin/true'],
    logFile: '/dev/null',
  });
  try {
    assert.equal(await c.exited, 0);
    return performance.now() - c.startedAt;
  } finally {
    c.remove();
  }
}

(RUNS > 0 ? describe : describe.skip)(`cold start: image vs dist/ (${FN})`, function () {
  this.timeout(0);
  let d: Deployed;
  before(async () => {
    d = await deploy();
  });

  it(`median of ${RUNS} runs each`, async () => {
    const image: Run[] = [];
    const dist: Run[] = [];
    const overhead: number[] = [];
    await fromDist(d); // warm the page cache for both: the first run is not "cold" for either
    await fromImage(d);
    for (let i = 0; i < RUNS; i++) {
      image.push(await fromImage(d));
      dist.push(await fromDist(d));
      overhead.push(await runnerOverhead(d));
    }
    const line = (what: string, runs: Run[]) =>
      `cold start ${what}: ready ${median(runs.map((r) => r.readyMs)).toFixed(0)} ms, ` +
      `first event answered ${median(runs.map((r) => r.eventMs)).toFixed(0)} ms` +
      (runs[0]?.createMs !== undefined
        ? ` (working container made in ${median(runs.map((r) => r.createMs!)).toFixed(0)} ms before)`
        : '') +
      ` [ready: ${runs.map((r) => r.readyMs.toFixed(0)).join(' ')}]`;
    process.stderr.write(
      `${line('image', image)}\n${line('dist/', dist)}\n` +
        `cold start: buildah run -- /bin/true ${median(overhead).toFixed(0)} ms\n`,
    );
  });
});
