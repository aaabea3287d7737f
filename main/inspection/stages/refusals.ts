import type { ReasonDetails, ReasonParams } from '../../api/reasons';

/** The cases of the pipeline's own refusals (ApiError details.reason), beside the image problems of preprocess.ts. */
export const PIPELINE_REFUSALS = ['no_bank', 'rebuild_bank', 'deactivated', 'no_model', 'offline_unknown'] as const;
export type PipelineRefusal = (typeof PIPELINE_REFUSALS)[number];

/** The details of a pipeline refusal: its case and particulars, checked against the catalogue (main/api/reasons.ts). */
export const refusal = <R extends PipelineRefusal>(reason: R, params: ReasonParams<R>): ReasonDetails<R> => ({ reason, params }) as ReasonDetails<R>;
