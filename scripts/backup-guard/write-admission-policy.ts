// Writes config/components/guard-admission-policy/admission-policy.yaml from admission-policy.ts.
//   node scripts/backup-guard/write-admission-policy.ts
import { writeFileSync } from 'node:fs';
import { admissionPolicyFile, ADMISSION_POLICY_PATH } from './admission-policy-file.ts';

writeFileSync(ADMISSION_POLICY_PATH, await admissionPolicyFile());
process.stdout.write(`wrote ${ADMISSION_POLICY_PATH}\n`);
