// Finds every schema under schemas/ by convention, so adding a schema file is the only step
// (no central list): schemas/<area>/<name>.schema.json with $id
// https://vmgroup-backup.dev/schemas/<area>/<name>.schema.json. Used by the validator loader in
// development, by the build (precompiled validators) and by the type generator.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCHEMA_ID_BASE = 'https://vmgroup-backup.dev/schemas/';

export interface SchemaFile {
  /** e.g. `objects/backup` */
  key: string;
  path: string;
  id: string;
  schema: Record<string, unknown>;
}

export function defaultSchemasDir(): string {
  return fileURLToPath(new URL('../../../schemas/', import.meta.url));
}

/** `objects/backup` → its $id */
export function schemaId(key: string): string {
  return `${SCHEMA_ID_BASE}${key}.schema.json`;
}

/** Reads and checks every `*.schema.json` under `dir` except `generated/`, sorted by key. */
export function readSchemaFiles(dir: string = defaultSchemasDir()): SchemaFile[] {
  const files: SchemaFile[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.schema.json')) continue;
    const path = join(entry.parentPath, entry.name);
    const rel = relative(dir, path).split(sep).join('/');
    if (rel.startsWith('generated/')) continue;
    const key = rel.slice(0, -'.schema.json'.length);
    const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const problems = conventionProblems(key, schema);
    if (problems.length > 0) throw new Error(`${rel}: ${problems.join('; ')}`);
    files.push({ key, path, id: schemaId(key), schema });
  }
  return files.sort((a, b) => a.key.localeCompare(b.key));
}

function conventionProblems(key: string, schema: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(key))
    problems.push('path must be <area>/<kebab-name>.schema.json');
  if (schema.$id !== schemaId(key)) problems.push(`$id must be ${schemaId(key)}`);
  if (schema.$schema !== 'https://json-schema.org/draft/2020-12/schema')
    problems.push('$schema must be https://json-schema.org/draft/2020-12/schema');
  if (typeof schema.title !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(schema.title))
    problems.push('title must be a PascalCase TypeScript type name');
  return problems;
}
