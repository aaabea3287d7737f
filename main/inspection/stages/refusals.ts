/** The cases of the pipeline's own refusals (ApiError details.reason), beside the image problems of preprocess.ts. */
export const PIPELINE_REFUSALS = ['no_bank', 'rebuild_bank', 'deactivated', 'no_model', 'offline_unknown'] as const;
export type PipelineRefusal = (typeof PIPELINE_REFUSALS)[number];

export const refusal = (reason: PipelineRefusal) => ({ reason });
