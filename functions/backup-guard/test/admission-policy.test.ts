import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  ADMISSION_POLICY_PATH,
  admissionPolicyFile,
} from '../../../scripts/backup-guard/admission-policy-file.ts';
import { admissionPolicyObjects } from '../admission-policy.ts';

describe('guard admission policy (generated component)', () => {
  it('the committed component is what the generator produces', async () => {
    assert.equal(
      readFileSync(ADMISSION_POLICY_PATH, 'utf8'),
      await admissionPolicyFile(),
      'stale: run node scripts/backup-guard/write-admission-policy.ts',
    );
  });

  it('holds a policy and a binding for Backups and for Restores, on CREATE only', () => {
    const docs = parseAllDocuments(readFileSync(ADMISSION_POLICY_PATH, 'utf8')).map(
      (d) =>
        d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> },
    );
    assert.deepEqual(
      docs.map((d) => `${d.kind}/${d.metadata.name}`),
      [
        'ValidatingAdmissionPolicy/vmgroup-backup-guard-backups',
        'ValidatingAdmissionPolicyBinding/vmgroup-backup-guard-backups',
        'ValidatingAdmissionPolicy/vmgroup-backup-guard-restores',
        'ValidatingAdmissionPolicyBinding/vmgroup-backup-guard-restores',
      ],
    );
    for (const p of docs.filter((d) => d.kind === 'ValidatingAdmissionPolicy')) {
      const rules = (p.spec.matchConstraints as { resourceRules: Array<{ operations: string[] }> })
        .resourceRules;
      assert.deepEqual(
        rules.map((r) => r.operations),
        [['CREATE']],
        'Velero must stay free to update what it runs',
      );
    }
  });

  it('binds the parameter ConfigMap in the namespace asked for, admitting when it is missing', () => {
    const binding = admissionPolicyObjects('elsewhere')[1] as {
      spec: { paramRef: Record<string, string> };
    };
    assert.deepEqual(binding.spec.paramRef, {
      name: 'vmgroup-backup-restricted-resources',
      namespace: 'elsewhere',
      parameterNotFoundAction: 'Allow',
    });
  });
});
