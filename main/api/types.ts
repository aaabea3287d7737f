/**
 * The data types the renderer may see, re-exported from each domain's contract (types only; the renderer imports
 * nothing else from main/). Add a line when a domain contract exports new result types.
 */
export type * from '../telemetry/types';
export type * from '../system/types';
export type * from '../cylinders/types';
export type * from '../inspection/types';
export type * from '../inspection/contract';
