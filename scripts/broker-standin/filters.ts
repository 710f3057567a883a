// Knative's Trigger filters for the Broker stand-in, pure, from knative.dev/eventing at the pinned
// version: which filter a Trigger uses (pkg/broker/filter/filter_handler.go filterEvent: `filters`
// when non-empty, else `filter.attributes`, else none), the attribute filter
// (pkg/eventfilter/attributes), the SubscriptionsAPI dialects exact, prefix, suffix, all, any and
// not (pkg/eventfilter/subscriptionsapi), and how an attribute is looked up (LookupAttribute). CESQL
// is not evaluated: a Trigger using it is refused (see unsupportedFilter). test/broker-standin/
// knative-routing.test.ts pins all of this to Knative's own code. Why under scripts/: routes.ts.

/** A filter's verdict; the Broker delivers unless it is 'fail'. */
export type FilterResult = 'pass' | 'fail' | 'none';

/** One entry of a Trigger's `spec.filters` (eventing/v1 SubscriptionsAPIFilter). */
export interface SubscriptionsApiFilter {
  exact?: Record<string, string>;
  prefix?: Record<string, string>;
  suffix?: Record<string, string>;
  all?: SubscriptionsApiFilter[];
  any?: SubscriptionsApiFilter[];
  not?: SubscriptionsApiFilter;
  cesql?: string;
}

/** What of a Trigger's spec decides routing. */
export interface TriggerFilter {
  filter?: { attributes?: Record<string, string> };
  filters?: SubscriptionsApiFilter[];
}

/** An event as a filter sees it: lower-case attribute names, decoded values (wire.ts filterView). */
export type EventAttributes = Readonly<Record<string, string | undefined>>;

/** Go's zero time.Time, as MarshalText writes it: the `time` of an event that has none. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

const own = (attrs: EventAttributes, name: string): string | undefined =>
  Object.hasOwn(attrs, name) ? attrs[name] : undefined;

/**
 * `time` as the Go SDK holds it and MarshalText writes it (RFC 3339 with nanoseconds, trailing
 * zeros of the fraction dropped, a zero offset written Z); undefined when it is no RFC 3339 time
 * (the ingress refuses such an event).
 */
export function canonicalTime(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.exec(
    text,
  );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const validDate = date.getUTCMonth() === Number(mo) - 1 && date.getUTCDate() === Number(d);
  if (!validDate || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (zone !== 'Z' && (Number(zone!.slice(1, 3)) > 23 || Number(zone!.slice(4)) > 59))
    return undefined;
  const fraction = (frac ?? '').replace(/\.?0+$/u, '');
  const offset = zone === 'Z' || /^[+-]00:00$/.test(zone!) ? 'Z' : zone;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${offset}`;
}

/**
 * LookupAttribute: the context attributes always exist (empty when unset; `time` is the zero
 * time), `datamediatype` is datacontenttype before any `;`, `schemaurl` is dataschema, and an
 * extension exists only when the event carries it.
 */
export function lookupAttribute(attrs: EventAttributes, name: string): string | undefined {
  switch (name) {
    case 'specversion':
    case 'type':
    case 'source':
    case 'subject':
    case 'id':
    case 'dataschema':
    case 'datacontenttype':
      return own(attrs, name) ?? '';
    case 'schemaurl':
      return own(attrs, 'dataschema') ?? '';
    case 'time': {
      const t = own(attrs, 'time');
      return t === undefined ? ZERO_TIME : (canonicalTime(t) ?? ZERO_TIME);
    }
    case 'datamediatype': {
      const ct = own(attrs, 'datacontenttype');
      if (ct === undefined) return '';
      const i = ct.indexOf(';');
      return i < 0 ? ct : ct.slice(0, i).trim();
    }
    case 'datacontentencoding':
      return ''; // CloudEvents 1.0 has none; a header of that name is not an extension here
    default:
      return own(attrs, name);
  }
}

/**
 * `filter.attributes`: each listed attribute must exist and equal the value; an empty value means
 * any value, but the attribute must exist and be non-empty.
 */
export function attributesFilter(
  filter: Readonly<Record<string, string>>,
  attrs: EventAttributes,
): FilterResult {
  for (const [name, want] of Object.entries(filter)) {
    const got = lookupAttribute(attrs, name);
    if (got === undefined || (want === '' && got === '')) return 'fail';
    if (want !== '' && want !== got) return 'fail';
  }
  return 'pass';
}

type Compare = (got: string, want: string) => boolean;
const DIALECTS: Record<'exact' | 'prefix' | 'suffix', Compare> = {
  exact: (got, want) => got === want,
  prefix: (got, want) => got.startsWith(want),
  suffix: (got, want) => got.endsWith(want),
};

/** A materialised filter: undefined where Knative fails to materialise one and skips it. */
type Materialised = ((attrs: EventAttributes) => FilterResult) | undefined;

function mapFilter(map: Record<string, string>, compare: Compare): Materialised {
  // NewExactFilter/NewPrefixFilter/NewSuffixFilter refuse an empty name or value (not the webhook).
  if (Object.entries(map).some(([k, v]) => k === '' || v === '')) return undefined;
  return (attrs) => {
    for (const [name, want] of Object.entries(map)) {
      const got = lookupAttribute(attrs, name);
      if (got === undefined || !compare(got, want)) return 'fail';
    }
    return 'pass';
  };
}

/** All: the first failure fails; otherwise the last result (none when empty). */
function all(filters: NonNullable<Materialised>[]): NonNullable<Materialised> {
  return (attrs) => {
    let res: FilterResult = 'none';
    for (const f of filters) {
      res = f(attrs);
      if (res === 'fail') return 'fail';
    }
    return res;
  };
}

/**
 * Any: the first pass passes; otherwise the last result (none when empty). Knative reorders the
 * list by hit count at run time, which can only change a none/fail verdict when a `not` of a
 * skipped filter is among the alternatives; this keeps the written order.
 */
function any(filters: NonNullable<Materialised>[]): NonNullable<Materialised> {
  return (attrs) => {
    let res: FilterResult = 'none';
    for (const f of filters) {
      res = f(attrs);
      if (res === 'pass') return 'pass';
    }
    return res;
  };
}

const list = (filters: readonly SubscriptionsApiFilter[]) =>
  filters.map(materialise).filter((f): f is NonNullable<Materialised> => f !== undefined);

/** MaterializeSubscriptionsAPIFilter: the first dialect set wins, in Knative's order. */
function materialise(f: SubscriptionsApiFilter): Materialised {
  const nonEmpty = (m: Record<string, string> | undefined) => m && Object.keys(m).length > 0;
  if (nonEmpty(f.exact)) return mapFilter(f.exact!, DIALECTS.exact);
  if (nonEmpty(f.prefix)) return mapFilter(f.prefix!, DIALECTS.prefix);
  if (nonEmpty(f.suffix)) return mapFilter(f.suffix!, DIALECTS.suffix);
  if (f.all && f.all.length > 0) return all(list(f.all));
  if (f.any && f.any.length > 0) return any(list(f.any));
  if (f.not) {
    const inner = materialise(f.not);
    return (attrs) => {
      const r = inner ? inner(attrs) : 'none';
      return r === 'pass' ? 'fail' : r === 'fail' ? 'pass' : 'none';
    };
  }
  if (f.cesql) throw new Error('CESQL is not evaluated by the Broker stand-in');
  return undefined;
}

/** Where a Trigger's filters use what the stand-in does not evaluate (CESQL), else undefined. */
export function unsupportedFilter(spec: TriggerFilter): string | undefined {
  const walk = (f: SubscriptionsApiFilter, path: string): string | undefined => {
    if (f.cesql) return `${path}.cesql`;
    for (const key of ['all', 'any'] as const)
      for (const [i, g] of (f[key] ?? []).entries()) {
        const found = walk(g, `${path}.${key}[${i}]`);
        if (found) return found;
      }
    return f.not ? walk(f.not, `${path}.not`) : undefined;
  };
  for (const [i, f] of (spec.filters ?? []).entries()) {
    const found = walk(f, `spec.filters[${i}]`);
    if (found) return found;
  }
  return undefined;
}

/** filterEvent: `filters` when the Trigger has any, else `filter.attributes`, else none. */
export function triggerFilterResult(spec: TriggerFilter, attrs: EventAttributes): FilterResult {
  if (spec.filters && spec.filters.length > 0) return all(list(spec.filters))(attrs);
  if (spec.filter)
    return spec.filter.attributes ? attributesFilter(spec.filter.attributes, attrs) : 'none';
  return 'none';
}

export const triggerPasses = (spec: TriggerFilter, attrs: EventAttributes): boolean =>
  triggerFilterResult(spec, attrs) !== 'fail';
