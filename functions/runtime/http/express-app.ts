// The express app behind everything that is not an event or a probe: metrics, HEAD probes,
// 404/405 and error answers. Loaded after the server is ready (see server.ts).

import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Dispatcher } from '../events/dispatch.ts';
import { HttpProblem } from './problem.ts';
import type { State } from './server-state.ts';
import { readiness } from './server-state.ts';

export function buildApp(d: Dispatcher, state: State): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  app.get('/health/liveness', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/health/readiness', (_req, res) => {
    res
      .status(state.draining ? 503 : 200)
      .type('text/plain')
      .send(readiness(state));
  });
  app.get('/metrics', async (_req, res, next) => {
    try {
      const { contentType, body } = await d.metrics.render();
      res.type(contentType).send(body);
    } catch (err) {
      next(err);
    }
  });
  app.all('/', (_req, res) =>
    sendProblem(
      res.set('allow', 'POST'),
      new HttpProblem('method-not-allowed', 'send CloudEvents with POST /'),
    ),
  );
  app.use((req: Request, res: Response) =>
    sendProblem(res, new HttpProblem('not-found', `no route ${req.method} ${req.path}`)),
  );
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    d.ctx.logger.error({ err }, 'request failed');
    sendProblem(res, new HttpProblem('internal', 'unexpected error'));
  });
  return app;
}

function sendProblem(res: Response, p: HttpProblem): void {
  res
    .status(p.status)
    .set('content-type', 'application/problem+json')
    .send(JSON.stringify(p.body()));
}
