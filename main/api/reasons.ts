/**
 * The catalogue of refusal reasons (issue #19 "Korean-first screens"): every `ApiError` a worker or supervisor can
 * meet names its case in `details.reason` and its particulars in `details.params`; the renderer says it in the
 * operator's language from `renderer/src/locales/<lang>/reasons.json` (`reasons:<code>`, `{{param}}` placeholders),
 * and main's English message stays for logs, the CLI and as the secondary detail on screen.
 *
 * Each entry lists exactly the params its text may use (main/api/reasons.test.ts checks both locales against it, and
 * that every `new ApiError(` in main names one). Params are plain strings or numbers: lists are joined by main.
 */
const none = [] as const;

export const REASONS = {
  // --- the dispatcher: session, role, input ---------------------------------------------------------------------
  unknown_procedure: { params: ['procedure'] },
  login_required: { params: none },
  role_required: { params: ['procedure', 'role', 'have'] },
  reauth: { params: none },
  /** zod refused the input: `field` is the path (a.b.0), `code` zod's issue code (too_small, invalid_type, …) */
  invalid_input: { params: ['field', 'code'] },

  // --- auth ---------------------------------------------------------------------------------------------------------
  password_rule: { params: ['problem'] },
  /** for a while or until an administrator unlocks it (details.retryAfterS: seconds, or null) */
  locked: { params: none },
  /** too many failures at this station (details.retryAfterS where known) */
  throttled: { params: none },
  username_taken: { params: ['username'] },
  email_taken: { params: ['email'] },
  user_not_found: { params: ['userId'] },
  own_admin: { params: none },
  last_admin: { params: none },
  wrong_login: { params: none },
  account_deactivated: { params: none },
  wrong_password: { params: none },
  offline_login_unknown: { params: ['days'] },

  // --- system, stations, files, paths ---------------------------------------------------------------------------
  admin_exists: { params: none },
  setup_code: { params: none },
  database_url_scheme: { params: ['url'] },
  database_url_unusable: { params: ['url', 'problem'] },
  station_not_found: { params: ['stationId'] },
  station_name_taken: { params: ['name'] },
  retention_days: { params: ['min', 'max'] },
  path_not_allowed: { params: ['what'] },

  // --- inspection: images (preprocess.ts's IMAGE_PROBLEMS; path_refused also from lib/paths.ts) ------------------
  // (listed here, not imported: preprocess.ts loads sharp; reasons.test.ts checks the two lists agree)
  encoding: { params: none },
  empty: { params: none },
  too_large: { params: none },
  not_found: { params: none },
  unreadable: { params: none },
  format: { params: none },
  no_size: { params: none },
  too_many_pixels: { params: none },
  too_small: { params: none },
  damaged: { params: none },
  model_size: { params: none },
  channels: { params: none },
  path_refused: { params: none },
  source_refused: { params: ['source'] },

  // --- inspection: the pipeline ---------------------------------------------------------------------------------
  no_bank: { params: ['productCode'] },
  rebuild_bank: { params: ['productCode'] },
  deactivated: { params: ['productCode'] },
  no_model: { params: none },
  offline_unknown: { params: ['product'] },
  bank_build_running: { params: ['productCode'] },
  too_few_normals: { params: ['productCode', 'count', 'min'] },
  bank_build_failed: { params: ['productCode'] },
  coreset_ratio: { params: ['ratio'] },
  folder_missing: { params: ['folder'] },
  folder_no_images: { params: ['folder'] },

  // --- inspection: products, defect types, manuals, images, inspections, deployments, watch folders ---------------
  product_not_found: { params: ['product'] },
  product_exists: { params: ['productCode'] },
  defect_type_not_found: { params: ['defectTypeId'] },
  defect_code_taken: { params: ['productCode', 'defectCode'] },
  defect_type_other_product: { params: ['defectTypeId'] },
  manual_not_found: { params: ['manualId'] },
  manual_file_refused: { params: ['file'] },
  manual_type: { params: ['name', 'types'] },
  file_too_large: { params: ['name', 'maxMb'] },
  manual_version_taken: { params: ['version'] },
  section_not_found: { params: ['sectionId'] },
  image_not_found: { params: ['imageId'] },
  already_reference: { params: ['imageType', 'productCode', 'imageId'] },
  history_image: { params: none },
  same_image_active: { params: ['imageId'] },
  removed_by_retention: { params: ['removedAt'] },
  stored_file_missing: { params: ['file'] },
  inspection_not_found: { params: ['inspection'] },
  deployment_not_found: { params: ['deploymentId'] },
  deployment_not_pending: { params: ['deploymentId'] },
  watch_folder_not_absolute: { params: ['folder'] },
  watch_folder_in_store: { params: none },
  watch_folder_unusable: { params: ['folder', 'problem'] },
  watch_folder_taken: { params: ['folder', 'productCode'] },

  // --- telemetry --------------------------------------------------------------------------------------------------
  window_required: { params: none },
  window_order: { params: ['from', 'to'] },
  too_many_rows: { params: ['max', 'count'] },
  unknown_tag: { params: ['tag', 'known'] },
  tag_name_invalid: { params: ['tag'] },
  qc_rule_invalid: { params: ['problems'] },
  qc_rule_not_found: { params: ['tag'] },
  expectation_invalid: { params: ['problems'] },
  expectation_not_found: { params: ['tag'] },
  telemetry_db_timeout: { params: none },
  telemetry_db_down: { params: ['retryInS'] },
  telemetry_schema: { params: none },

  // --- cylinders --------------------------------------------------------------------------------------------------
  fcms_missing: { params: ['tables'] },
  fcms_not_installed: { params: none },
  inventory_missing: { params: none },
  cylinder_not_found: { params: ['cylinderNo'] },
  number_format: { params: ['field', 'value'] },
  field_required: { params: ['field'] },
  field_too_long: { params: ['field', 'max'] },
  policy_invalid: { params: ['problems'] },
  rule_exists: { params: ['rule', 'existingId'] },
  rule_not_found: { params: ['ruleId'] },
  cylinder_numbers_empty: { params: none },
  cylinder_numbers_too_many: { params: ['max', 'count'] },
  cylinder_numbers_too_long: { params: ['max', 'numbers'] },
  exceptions_refused: { params: ['problems'] },
  exception_ids_empty: { params: none },
  exception_not_found: { params: ['ids'] },
  valve_group_not_found: { params: ['groupId'] },
  valve_group_exists: { params: ['groupName', 'existingId'] },
  valve_spec_unknown: { params: ['code'] },
  valve_name_mismatch: { params: ['code', 'fcmsName', 'name'] },
  valve_mapping_not_found: { params: ['mappingId'] },
  valve_in_group: { params: ['code', 'groupName'] },
} as const satisfies Record<string, { params: readonly string[] }>;

export type ReasonCode = keyof typeof REASONS;
export type ParamValue = string | number;
export type ReasonParams<R extends ReasonCode> = { [K in (typeof REASONS)[R]['params'][number]]: ParamValue };

/** What a refusal puts in `details`: the case and its particulars (`{ ...because(…), extra }` keeps other details). */
export type ReasonDetails<R extends ReasonCode = ReasonCode> = R extends ReasonCode ? { reason: R; params: ReasonParams<R> } : never;

/**
 * `new ApiError('conflict', 'English sentence', because('product_exists', { productCode }))`: the params are checked
 * against the catalogue by the type system (a missing or extra one does not compile).
 */
export function because<R extends ReasonCode>(reason: R, ...rest: (typeof REASONS)[R]['params'] extends readonly [] ? [params?: ReasonParams<R>] : [params: ReasonParams<R>]): ReasonDetails<R> {
  return { reason, params: rest[0] ?? {} } as ReasonDetails<R>;
}

/** A list as one param (the first `max` items, then "…"). */
export function listParam(items: readonly (string | number)[], max = 10): string {
  return items.slice(0, max).join(', ') + (items.length > max ? ', …' : '');
}
