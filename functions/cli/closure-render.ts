// Three views of one closure: a JSON report (schemas/cli/closure.schema.json), a tree for people
// and a Graphviz DOT graph. Each says, per VM, what a Velero restore brings back (issue 15.1),
// and lists the manifest objects that could not be read. Pure: closure in, text out.

import type { Fidelity } from '../vmgroup/app-objects.ts';
import type { Closure, ClosureKind, ClosureObject, ObjectKey } from '../vmgroup/closure.ts';
import { KIND_ORDER, keyString } from '../vmgroup/closure.ts';
import type { Refusal } from './closure-input.ts';

export interface ClosureReport {
  group: { namespace: string; name: string };
  labelKey: string;
  selector: string;
  objects: ClosureObject[];
  edges: Closure['edges'];
  missing: Closure['missing'];
  cycles: Closure['cycles'];
  problems: Closure['problems'];
  counts: Record<ClosureKind, number>;
  fidelity: Fidelity[];
  refused: Refusal[];
}

export function closureReport(c: Closure, refused: readonly Refusal[] = []): ClosureReport {
  const counts = Object.fromEntries(
    KIND_ORDER.map((k) => [k, c.objects.filter((o) => o.kind === k).length]),
  ) as Record<ClosureKind, number>;
  return {
    group: { namespace: c.namespace, name: c.group },
    labelKey: c.labelKey,
    selector: c.labelKey,
    objects: c.objects,
    edges: c.edges,
    missing: c.missing,
    cycles: c.cycles,
    problems: c.problems,
    counts,
    fidelity: c.fidelity,
    refused: [...refused],
  };
}

export function renderJson(c: Closure, refused: readonly Refusal[] = []): string {
  return JSON.stringify(closureReport(c, refused), null, 2);
}

const list = (items: readonly string[], none = 'none'): string =>
  items.length > 0 ? items.join(', ') : none;

/** The three lines of one VM's fidelity, for people. */
export function fidelityLines(f: Fidelity): string[] {
  const back = [
    'spec',
    `PVCs ${list(f.comesBack.pvcs)}`,
    `bootstrap ${list(f.comesBack.bootstrap)}`,
  ];
  const not = [f.doesNot.bootDisk];
  if (f.doesNot.nonPvcVolumes.length > 0)
    not.push(`volumes not on a PVC: ${f.doesNot.nonPvcVolumes.join(', ')}`);
  if (f.doesNot.missingPvcs.length > 0)
    not.push(`claims not in the namespace: ${f.doesNot.missingPvcs.join(', ')}`);
  const t = f.targetMustProvide;
  const need = [
    `image ${t.image || '(none named)'}`,
    `class ${t.class || '(none named)'}`,
    `storage classes ${list(t.storageClasses, '(none named)')}`,
  ];
  if (t.encryptionClass) need.push(`encryption class ${t.encryptionClass}`);
  return [
    `comes back:          ${back.join('; ')}`,
    `does not:            ${not.join('; ')}`,
    `target must provide: ${need.join(', ')}`,
  ];
}

function label(k: ObjectKey): string {
  return `${k.kind} ${k.name}`;
}

/** Children in edge order, grouped by the node they hang from. */
function childrenByNode(c: Closure): Map<string, Closure['edges']> {
  const out = new Map<string, Closure['edges']>();
  for (const e of c.edges) {
    const id = keyString(e.from);
    out.set(id, [...(out.get(id) ?? []), e]);
  }
  return out;
}

export function renderTree(c: Closure, refused: readonly Refusal[] = []): string {
  const lines: string[] = [
    `${label({ kind: 'VirtualMachineGroup', name: c.group })}  (namespace ${c.namespace})`,
  ];
  const children = childrenByNode(c);
  const expanded = new Set<string>([keyString({ kind: 'VirtualMachineGroup', name: c.group })]);
  const cyclic = new Set(c.cycles.flatMap((cy) => cy.map((n) => `VirtualMachineGroup/${n}`)));
  const walk = (node: ObjectKey, prefix: string): void => {
    const edges = children.get(keyString(node)) ?? [];
    edges.forEach((e, i) => {
      const last = i === edges.length - 1;
      const id = keyString(e.to);
      const repeat = expanded.has(id) && (children.get(id)?.length ?? 0) > 0;
      const note = repeat ? (cyclic.has(id) ? '  [cycle]' : '  [see above]') : '';
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(e.to)}  (${e.role})${note}`);
      if (!repeat) {
        expanded.add(id);
        walk(e.to, `${prefix}${last ? '    ' : '│   '}`);
      }
    });
  };
  walk({ kind: 'VirtualMachineGroup', name: c.group }, '');
  const unverified = c.objects.filter((o) => o.unverified).map((o) => o.name);
  const r = closureReport(c, refused);
  lines.push('', `Backup selector: ${c.labelKey}`);
  lines.push(`Objects: ${KIND_ORDER.map((k) => `${r.counts[k]} ${k}`).join(', ')}`);
  if (unverified.length > 0)
    lines.push(
      `Secrets whose existence was not checked (never read live; none in the manifests): ${unverified.join(', ')}`,
    );
  const notRead = new Map(refused.map((x) => [`${x.kind}/${x.name}`, x]));
  if (c.missing.length > 0) {
    lines.push('Missing:');
    for (const m of c.missing) {
      const x = notRead.get(keyString(m));
      const note = x ? `; in ${x.where} but not read, see below` : '';
      lines.push(`  ${label(m)}  (referenced by ${label(m.referencedBy)}, ${m.role}${note})`);
    }
  }
  if (c.cycles.length > 0) {
    lines.push('Cycles:');
    for (const cy of c.cycles) lines.push(`  ${cy.join(' → ')}`);
  }
  if (c.problems.length > 0) {
    lines.push('Problems:');
    for (const p of c.problems) lines.push(`  ${p.type}: ${p.message}`);
  }
  if (refused.length > 0) {
    lines.push('Not read (left out of the closure):');
    for (const x of refused)
      lines.push(`  ${x.where}: ${x.kind} ${x.name} (${x.apiVersion}): ${x.reason}`);
  }
  if (c.fidelity.length > 0) {
    lines.push(
      '',
      'What a restore brings back (Velero restores each VM as a new VM that VM Operator deploys from its image; only PVC data returns):',
    );
    for (const f of c.fidelity) {
      lines.push(`  VirtualMachine ${f.vm}`);
      for (const l of fidelityLines(f)) lines.push(`    ${l}`);
    }
  }
  return lines.join('\n');
}

const SHAPES: Record<ClosureKind, string> = {
  VirtualMachineGroup: 'folder',
  VirtualMachine: 'box3d',
  Secret: 'note',
  ConfigMap: 'note',
  PersistentVolumeClaim: 'cylinder',
  VirtualMachineService: 'doubleoctagon',
  VirtualMachineSetResourcePolicy: 'tab',
  EncryptionClass: 'septagon',
};

/** Kubernetes names hold no quotes or backslashes; `\n` in a label is DOT's line break. */
function quote(s: string): string {
  return `"${s.replace(/"/g, '\\"')}"`;
}

export function renderDot(c: Closure): string {
  const lines = [
    `digraph ${quote(`${c.namespace}/${c.group}`)} {`,
    '  rankdir=LR;',
    '  node [fontname="Helvetica"];',
  ];
  for (const o of c.objects) {
    const style = o.unverified ? ', style=dashed' : '';
    lines.push(
      `  ${quote(keyString(o))} [label=${quote(`${o.kind}\\n${o.name}`)}, shape=${SHAPES[o.kind]}${style}];`,
    );
  }
  const missingIds = new Set<string>();
  for (const m of c.missing) {
    const id = keyString(m);
    if (!missingIds.has(id)) {
      missingIds.add(id);
      lines.push(
        `  ${quote(id)} [label=${quote(`${m.kind}\\n${m.name}\\n(missing)`)}, shape=${SHAPES[m.kind]}, style=dashed, color=red, fontcolor=red];`,
      );
    }
    lines.push(
      `  ${quote(keyString(m.referencedBy))} -> ${quote(id)} [label=${quote(m.role)}, style=dashed, color=red];`,
    );
  }
  const cyclic = new Set(
    c.cycles.flatMap((cy) => cy.slice(0, -1).map((n, i) => `${n}\u0000${cy[i + 1]}`)),
  );
  for (const e of c.edges) {
    const back =
      e.from.kind === 'VirtualMachineGroup' && cyclic.has(`${e.from.name}\u0000${e.to.name}`)
        ? ', color=orange'
        : '';
    lines.push(
      `  ${quote(keyString(e.from))} -> ${quote(keyString(e.to))} [label=${quote(e.role)}${back}];`,
    );
  }
  lines.push(...fidelityDot(c.fidelity));
  lines.push('}');
  return lines.join('\n');
}

/**
 * What the target must provide, as dotted infrastructure nodes (not in the backup), and each VM's
 * boot disk note as a dotted edge to the image it is redeployed from.
 */
function fidelityDot(fidelity: readonly Fidelity[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const node = (id: string, text: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    out.push(
      `  ${quote(id)} [label=${quote(`${text}\\n(target must provide)`)}, shape=component, style=dotted, color=gray40, fontcolor=gray40];`,
    );
  };
  for (const f of fidelity) {
    const vm = quote(`VirtualMachine/${f.vm}`);
    const t = f.targetMustProvide;
    const needs: Array<[string, string, string]> = [];
    if (t.image) {
      const [kind, name] = [
        t.image.slice(0, t.image.indexOf('/')),
        t.image.slice(t.image.indexOf('/') + 1),
      ];
      needs.push([`target:${t.image}`, `${kind}\\n${name}`, 'boot disk redeployed from']);
    }
    if (t.class)
      needs.push([
        `target:VirtualMachineClass/${t.class}`,
        `VirtualMachineClass\\n${t.class}`,
        'className',
      ]);
    for (const sc of t.storageClasses)
      needs.push([`target:StorageClass/${sc}`, `StorageClass\\n${sc}`, 'storage class']);
    for (const [id, text, role] of needs) {
      node(id, text);
      out.push(`  ${vm} -> ${quote(id)} [label=${quote(role)}, style=dotted, color=gray40];`);
    }
    if (f.doesNot.nonPvcVolumes.length > 0)
      out.push(
        `  ${vm} -> ${quote(`lost:${f.vm}`)} [label="not restored", style=dotted, color=red];`,
        `  ${quote(`lost:${f.vm}`)} [label=${quote(`volumes not on a PVC\\n${f.doesNot.nonPvcVolumes.join(', ')}`)}, shape=note, style=dotted, color=red, fontcolor=red];`,
      );
  }
  return out;
}
