// Validating a value against a schema by $id, and turning the first failure into a problem that
// names the schema and the path inside it. The validators themselves come from schema-source.ts
// (compiled from schemas/ in development, precompiled into the shipped bundle).

import type { SchemaTypes } from './schema-types.ts';
import { schemaId } from './schema-files.ts';

export interface ValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

export interface Validate {
  (data: unknown): boolean;
  errors?: ValidationError[] | null;
}

/** $id → validator. */
export type ValidatorSet = ReadonlyMap<string, Validate>;

export interface SchemaViolation {
  /** `$id` of the schema that was applied. */
  schema: string;
  /** Where in the schema the check failed, e.g. `#/properties/metadata/required`. */
  schemaPath: string;
  /** JSON Pointer into the validated value. */
  instancePath: string;
  message: string;
}

/** Returns undefined when `value` is valid; throws when no schema has that $id (a programming error). */
export function violation(
  validators: ValidatorSet,
  id: string,
  value: unknown,
): SchemaViolation | undefined {
  const validate = validators.get(id);
  if (!validate) throw new Error(`no schema with $id ${id} under schemas/`);
  if (validate(value)) return undefined;
  const first = validate.errors?.[0];
  return {
    schema: id,
    // ajv joins a $ref'd schema's $id and pointer without '#'; put it back so it resolves.
    schemaPath: (first?.schemaPath ?? '#').replace(/\.schema\.json\//, '.schema.json#/'),
    instancePath: first?.instancePath ?? '',
    message: describe(first),
  };
}

function describe(error: ValidationError | undefined): string {
  if (!error) return 'invalid';
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  const extra =
    error.keyword === 'additionalProperties' || error.keyword === 'required'
      ? ` (${JSON.stringify(error.params)})`
      : '';
  return `${where} ${error.message ?? error.keyword}${extra}`;
}

/**
 * `value` typed as the schema's generated type when it satisfies the schema (so callers need no
 * cast), else the first violation.
 */
export function validated<K extends keyof SchemaTypes>(
  validators: ValidatorSet,
  key: K,
  value: unknown,
): { value: SchemaTypes[K] } | { violation: SchemaViolation } {
  const bad = violation(validators, schemaId(key), value);
  return bad ? { violation: bad } : { value: value as SchemaTypes[K] };
}
