// RFC 9457 problem details: every non-2xx answer of the runtime is one of these, so a sender (or
// an operator reading the Broker's dead-letter sink) learns why without reading our logs.

export const PROBLEM_TYPE_BASE = 'https://vmgroup-backup.dev/problems/';

export type ProblemKind =
  | 'invalid-event' // 400
  | 'not-found' // 404
  | 'method-not-allowed' // 405
  | 'payload-too-large' // 413
  | 'not-a-cloudevent' // 415
  | 'unsupported-data' // 415
  | 'unprocessable' // 422
  | 'internal' // 500
  | 'unavailable'; // 503

const STATUS: Record<ProblemKind, [number, string]> = {
  'invalid-event': [400, 'Invalid CloudEvent'],
  'not-found': [404, 'Not found'],
  'method-not-allowed': [405, 'Method not allowed'],
  'payload-too-large': [413, 'Request body too large'],
  'not-a-cloudevent': [415, 'Not a CloudEvent'],
  'unsupported-data': [415, 'Unsupported data content type'],
  unprocessable: [422, 'Event cannot be processed'],
  internal: [500, 'Internal error'],
  unavailable: [503, 'Temporarily unavailable'],
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/** A failure the runtime answers with a problem document. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: number;
  readonly kind: ProblemKind;
  readonly detail: string;
  readonly extensions: Record<string, unknown>;
  constructor(kind: ProblemKind, detail: string, extensions: Record<string, unknown> = {}) {
    super(detail);
    this.kind = kind;
    this.detail = detail;
    this.extensions = extensions;
    this.status = STATUS[kind][0];
  }

  body(): ProblemBody {
    const [status, title] = STATUS[this.kind];
    return {
      type: PROBLEM_TYPE_BASE + this.kind,
      title,
      status,
      detail: this.detail,
      ...this.extensions,
    };
  }
}
