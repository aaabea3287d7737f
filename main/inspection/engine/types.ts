/** Data shapes shared by the engine's modules (kept apart so that patchcore, pooler and models import no cycle). */

/** Patch embeddings of one image: h·w rows of `dim` floats, row = patch (row-major over the grid). */
export interface PatchGrid {
  h: number;
  w: number;
  dim: number;
  data: Float32Array;
}
