/**
 * The cylinders workspace's wire types: what its procedures take and return (contract.ts) and what the renderer sees
 * through main/api/types.ts. Types and small constant lists only: nothing here runs a query.
 */

export interface CylinderFilters {
  gas?: string[];
  status?: string[];
  enduser?: string[];
  location?: string[];
  /** numbers as text; compared as numbers (47 matches 47 and 47.0) */
  capacity?: string[];
  /** valve group name, or the dashboard valve name of an ungrouped valve */
  valve?: string[];
  cylinderSpec?: string[];
  availableOnly?: boolean;
  typeKey?: string[];
}

export interface SummaryRow {
  cylinderTypeKey: string;
  gasName: string;
  /** numeric text exactly as stored (47 and 47.0 are different cylinder types) */
  capacity: string | null;
  /** the valve group, or the (standardized) dashboard valve name when the valve is in no active group */
  valveSpec: string;
  valveGroup: string | null;
  cylinderSpec: string;
  enduser: string;
  status: string;
  location: string;
  qty: number;
  availableQty: number;
}

export interface SummaryResult {
  rows: SummaryRow[];
  totals: { qty: number; availableQty: number; types: number; rows: number };
}

export const LIST_SORTS = [
  'cylinderNo',
  'gasName',
  'capacity',
  'valveSpec',
  'cylinderSpec',
  'enduser',
  'status',
  'location',
  'moveDate',
  'lastEventAt',
  'snapshotUpdatedAt',
] as const;
export type ListSort = (typeof LIST_SORTS)[number];

/** Columns the summary can be sorted by (the screen's sortable columns; the export follows the same order). */
export const SUMMARY_SORTS = ['gasName', 'capacity', 'valveSpec', 'cylinderSpec', 'enduser', 'status', 'location', 'qty', 'availableQty'] as const;
export type SummarySort = (typeof SUMMARY_SORTS)[number];
export interface SummaryQuery extends CylinderFilters {
  sort?: SummarySort;
  dir?: 'asc' | 'desc';
}

export interface ListQuery extends CylinderFilters {
  /** cylinder number prefix */
  search?: string;
  sort?: ListSort;
  dir?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

export interface CylinderRow {
  cylinderNo: string;
  cylinderTypeKey: string;
  gasName: string;
  capacity: string | null;
  valveSpec: string;
  valveSpecName: string;
  valveGroup: string | null;
  cylinderSpec: string;
  enduser: string;
  status: string;
  statusCategory: string;
  isAvailable: boolean;
  location: string;
  usagePlace: string;
  conditionCode: string;
  moveDate: string | null;
  lastEventAt: string | null;
  snapshotUpdatedAt: string | null;
}

export interface ListResult {
  rows: CylinderRow[];
  total: number;
  offset: number;
  limit: number;
}

export interface FieldComparison {
  field: string;
  label: string;
  raw: string | null;
  dashboard: string | null;
  differs: boolean;
  /** why the dashboard value is what it is (English, for logs and the CLI) */
  reason: string;
  /** the same reason as a key of the renderer's cylinders:why.* texts with its particulars, said in the operator's language */
  why: { key: string; params: Record<string, string | number> };
}

export interface DefaultRuleRow {
  id: number;
  gasName: string;
  capacity: string | null;
  valveSpecCode: string | null;
  valveSpecName: string | null;
  cylinderSpecCode: string | null;
  cylinderSpecName: string | null;
  defaultEnduser: string;
  isActive: boolean;
  /** non-NULL match columns besides the gas (0..3): the more, the more specific */
  specificity: number;
  /** cylinders whose EndUser this rule decides now (no active exception, most specific matching rule) */
  decides: number;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface ExceptionRow {
  id: number;
  cylinderNo: string;
  enduser: string;
  reason: string | null;
  isActive: boolean;
  /** the cylinder's gas and what the default rules would give without this exception */
  gasName: string | null;
  capacity: string | null;
  ruleEnduser: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface MappingRow {
  id: number;
  groupId: number;
  valveSpecCode: string;
  valveSpecName: string;
  isPrimary: boolean;
  isActive: boolean;
  /** the valve's name in FCMS now (null when the code is unknown); a mapping only matches when they are equal */
  fcmsName: string | null;
  cylinders: number;
}

export interface ValveGroupRow {
  id: number;
  groupName: string;
  description: string | null;
  isActive: boolean;
  primaryValveName: string | null;
  cylinders: number;
  mappings: MappingRow[];
  createdAt: string | null;
  updatedAt: string | null;
}

export interface ValveSpecOption {
  code: string;
  name: string;
  cylinders: number;
  /** the mapping that holds this valve, if any */
  mappingId: number | null;
  groupId: number | null;
}

export interface PolicyEffect {
  /** cylinders whose dashboard row (EndUser, valve name/group, type) changed */
  changed: number;
  /** EndUser moves, e.g. 29 cylinders SDC → LGD */
  moves: { from: string; to: string; qty: number }[];
  /** up to 20 of the changed cylinder numbers */
  sample: string[];
}

export interface DefaultRuleInput {
  id?: number;
  gasName: string;
  capacity?: string | null;
  valveSpecCode?: string | null;
  cylinderSpecCode?: string | null;
  defaultEnduser: string;
  isActive?: boolean;
}

export type DefaultChange = { op: 'save'; rule: DefaultRuleInput } | { op: 'delete'; id: number };

export interface SyncResult {
  synced: number;
  changed: number;
  deleted: number;
  ms: number;
}

export interface Freshness {
  total: number;
  updatedLastHour: number;
  lastUpdate: string | null;
  now: string;
  byEnduser: { enduser: string; qty: number; availableQty: number; lastUpdate: string | null }[];
  source: { fcmsMissing: string[]; fcmsCylinders: number | null; syncInstalled: boolean; missingTriggers: string[]; note: string | null };
}

export interface FilterOptions {
  gases: string[];
  capacities: string[];
  valves: string[];
  cylinderSpecs: string[];
  /** FCMS cylinder specs (code and name) for the EndUser default-rule editor; [] without the FCMS source */
  cylinderSpecCodes: { code: string; name: string }[];
  endusers: string[];
  statuses: string[];
  locations: string[];
}

/** Status names in the order the screens show them (decisions.md, cylinders 5). */
export const STATUS_ORDER = ['보관', '충전', '분석', '창입', '출하', '이상', '폐기', '기타'] as const;

export interface CylinderDetail {
  cylinderNo: string;
  inFcms: boolean;
  inSnapshot: boolean;
  /** the stored snapshot row equals what FCMS + the policies give now */
  inSync: boolean;
  staleColumns: string[];
  snapshot: Record<string, unknown> | null;
  computed: Record<string, unknown> | null;
  fcms: Record<string, unknown> | null;
  fields: FieldComparison[];
  enduser: {
    value: string;
    source: 'exception' | 'default' | 'fallback';
    exception: { id: number; enduser: string; reason: string | null; isActive: boolean; updatedAt: string | null } | null;
    rule: Record<string, unknown> | null;
    candidates: Record<string, unknown>[];
  };
  valve: { rawName: string | null; dashboardName: string | null; group: string | null; mapping: Record<string, unknown> | null; grouped: boolean };
  typeKey: { key: string; input: string; rawKey: string; rawInput: string };
}

export interface ExportResult {
  filename: string;
  mimeType: string;
  /** csv: utf8 text (with a BOM so Excel reads Korean); xlsx: base64 */
  encoding: 'utf8' | 'base64';
  data: string;
  rows: number;
}

// ----- editor inputs (the contract's zod schemas give these) ---------------------------------------------------

export interface ExceptionQuery {
  search?: string;
  activeOnly?: boolean;
}

export interface ExceptionsInput {
  cylinderNos: string[];
  enduser: string;
  reason?: string | null;
  isActive?: boolean;
}

export interface ExceptionUpdate {
  id: number;
  enduser?: string;
  reason?: string | null;
  isActive?: boolean;
}

export interface ValveGroupInput {
  id?: number;
  groupName: string;
  description?: string | null;
  isActive?: boolean;
}

export interface MappingInput {
  id?: number;
  groupId: number;
  valveSpecCode: string;
  valveSpecName?: string | null;
  isPrimary?: boolean;
  isActive?: boolean;
}
