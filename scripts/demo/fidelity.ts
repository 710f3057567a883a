// The demo's restore-fidelity print: what the backup labeler told about the Backup in its reply
// CloudEvent (backup.expanded), per VM — what a restore brings back, what it does not, and what the
// target namespace must offer — in the words `closure` uses for the same thing.
import { fidelityLines } from '../../functions/cli/closure-render.ts';
import { EVENT_TYPE_BACKUP_EXPANDED } from '../../functions/vmgroup/names.ts';
import type { BackupExpanded } from '../../schemas/generated/events/backup-expanded.ts';
import type { BrokerEvent } from '../broker-standin/wire.ts';
import { say } from './say.ts';

interface Check {
  what: string;
  ok: boolean;
  detail?: string;
}

/** The labeler's last report on `backup`, as carried by the Broker. */
function reportOn(events: readonly BrokerEvent[], backup: string): BackupExpanded | undefined {
  const reports = events
    .filter((e) => e.attributes['type'] === EVENT_TYPE_BACKUP_EXPANDED)
    .map((e) => JSON.parse(e.body.toString('utf8')) as BackupExpanded)
    .filter((d) => d.backup.name === backup);
  return reports.at(-1);
}

/** Prints each VM's fidelity from the Backup report; the check holds when every VM expected has one. */
export function showFidelity(
  events: readonly BrokerEvent[],
  backup: string,
  expectedVms: readonly string[],
): Check {
  const report = reportOn(events, backup);
  const seen: string[] = [];
  // A nested group's VMs are also its parent's: each VM is printed once, under the first group.
  for (const g of report?.groups ?? []) {
    const fresh = g.fidelity.filter((f) => !seen.includes(f.vm));
    const told = g.fidelity.filter((f) => seen.includes(f.vm)).map((f) => f.vm);
    say.line(
      `group ${g.namespace}/${g.name}, on restore${told.length ? ` (${told.join(', ')}: as above)` : ''}${fresh.length ? ':' : ''}`,
    );
    for (const f of fresh) {
      seen.push(f.vm);
      say.detail(`VirtualMachine ${f.vm}`);
      for (const l of fidelityLines(f)) say.detail(`  ${l}`);
    }
  }
  const missing = expectedVms.filter((v) => !seen.includes(v));
  return {
    what: `the Backup report says, for each VM (${expectedVms.join(', ')}), what a restore brings back and what the target must provide`,
    ok: report !== undefined && missing.length === 0,
    detail: report
      ? missing.length
        ? `no word on ${missing.join(', ')}`
        : `${seen.length} VMs`
      : 'no backup.expanded reply',
  };
}
