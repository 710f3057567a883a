// Three views of one closure: a JSON report (schemas/cli/closure.schema.json), a tree for people
// and a Graphviz DOT graph. Pure: closure in, text out.

import type { Closure, ClosureKind, ClosureObject, ObjectKey } from '../vmgroup/closure.ts';
import { KIND_ORDER, keyString } from '../vmgroup/closure.ts';

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
}

export function closureReport(c: Closure): ClosureReport {
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
  };
}

export function renderJson(c: Closure): string {
  return JSON.stringify(closureReport(c), null, 2);
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

export function renderTree(c: Closure): string {
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
  const r = closureReport(c);
  lines.push('', `Backup selector: ${c.labelKey}`);
  lines.push(`Objects: ${KIND_ORDER.map((k) => `${r.counts[k]} ${k}`).join(', ')}`);
  if (unverified.length > 0)
    lines.push(
      `Secrets whose existence was not checked (never read live; none in the manifests): ${unverified.join(', ')}`,
    );
  if (c.missing.length > 0) {
    lines.push('Missing:');
    for (const m of c.missing)
      lines.push(`  ${label(m)}  (referenced by ${label(m.referencedBy)}, ${m.role})`);
  }
  if (c.cycles.length > 0) {
    lines.push('Cycles:');
    for (const cy of c.cycles) lines.push(`  ${cy.join(' → ')}`);
  }
  if (c.problems.length > 0) {
    lines.push('Problems:');
    for (const p of c.problems) lines.push(`  ${p.type}: ${p.message}`);
  }
  return lines.join('\n');
}

const SHAPES: Record<ClosureKind, string> = {
  VirtualMachineGroup: 'folder',
  VirtualMachine: 'box3d',
  Secret: 'note',
  ConfigMap: 'note',
  PersistentVolumeClaim: 'cylinder',
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
  lines.push('}');
  return lines.join('\n');
}
