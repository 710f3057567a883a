// The single "held" predicate: a restored VM is held when the product's resource modifier ran on
// it during the Velero restore (the modifier always sets spec.powerState PoweredOff and stamps the
// restore-stripped annotation). Used by the fixer's verification and the sequencer's release.
import { ANNOTATION_RESTORE_STRIPPED } from '../vmgroup/names.ts';

export function isHeld(obj: { metadata: { annotations?: Record<string, string> } }): boolean {
  return obj.metadata.annotations?.[ANNOTATION_RESTORE_STRIPPED] !== undefined;
}
