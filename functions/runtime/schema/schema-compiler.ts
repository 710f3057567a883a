// The one ajv configuration: JSON Schema 2020-12, strict mode, formats. Used at start in
// development (schema-source.ts) and at build time to emit standalone validator code, so the
// shipped bundle neither compiles schemas nor carries ajv's compiler.

import Ajv2020Module from 'ajv/dist/2020.js';
import standaloneCodeModule from 'ajv/dist/standalone/index.js';
import addFormatsModule from 'ajv-formats';
import type { SchemaFile } from './schema-files.ts';
import type { Validate } from './validation.ts';

// CommonJS packages: under Node's ESM rules the default import is module.exports, whose
// `default` property is the export itself.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;
const standaloneCode = standaloneCodeModule.default;

function createAjv(
  files: readonly SchemaFile[],
  standalone: boolean,
  warnings?: string[],
): InstanceType<typeof Ajv2020> {
  const ajv = new Ajv2020({
    // ajv's strict mode: unknown keywords and ignored or malformed constructs are errors, so a
    // typo in a schema fails the build instead of silently accepting everything. Type-less
    // keywords (`minItems` without `type: array`, legitimate inside `not`/`anyOf`) and `required`
    // names without a `properties` entry are reported by `npm run build`, not fatal.
    strict: true,
    strictTypes: 'log',
    strictRequired: false,
    logger: warnings
      ? {
          log: () => {},
          warn: (...args: unknown[]) => warnings.push(args.join(' ')),
          error: console.error,
        }
      : false,
    // `type: [..]` unions are how schemas say "boolean or null".
    allowUnionTypes: true,
    allErrors: false,
    code: standalone ? { source: true, esm: true, lines: false } : { lines: false },
  });
  addFormats(ajv, ['date-time', 'uri', 'uri-reference', 'date', 'duration', 'uuid']);
  for (const file of files) ajv.addSchema(file.schema, file.id);
  return ajv;
}

export function compileValidators(files: readonly SchemaFile[]): Map<string, Validate> {
  const ajv = createAjv(files, false);
  return new Map(
    files.map((f): [string, Validate] => {
      const validate = ajv.getSchema(f.id);
      if (!validate) throw new Error(`schema ${f.id} did not compile`);
      return [f.id, validate];
    }),
  );
}

/** ESM source exporting `validators`: a Map from $id to precompiled validator. */
export function standaloneValidatorsModule(
  files: readonly SchemaFile[],
  warnings?: string[],
): string {
  const ajv = createAjv(files, true, warnings);
  const exportNames: Record<string, string> = {};
  files.forEach((f, i) => (exportNames[`v${i}`] = f.id));
  const code = standaloneCode(ajv, exportNames);
  const entries = files.map((f, i) => `[${JSON.stringify(f.id)}, v${i}]`).join(',\n  ');
  return `${code}\nexport const validators = new Map([\n  ${entries}\n]);\n`;
}
