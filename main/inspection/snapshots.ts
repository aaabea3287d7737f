/**
 * What a station needs to score a product with the database away (issue "Plant deployment", store and forward):
 * the product's inspection context (active, current bank, thresholds), its references' embeddings in the station's
 * embedding space, its defect types and their guides. Taken while the database answers — after an inspection that
 * read it, at most every SNAPSHOT_MAX_AGE_MS per product or at once when the bank or thresholds changed — and kept
 * in memory and in LINEDECK_HOME/cache/products/<productId>.json (written whole, then renamed), so a station that
 * restarts during an outage still inspects what it inspected before.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../lib/fsutil';
import type { ReferenceEmbeddingRow } from './queries';
import type { DefectTypeRow, ProductRef, SectionRow } from './types';

export const SNAPSHOT_MAX_AGE_MS = 60_000;

export interface InspectionContext {
  productId: number;
  productCode: string;
  isActive: boolean;
  bank: { deploymentId: number; summary: Record<string, unknown> } | null;
  imageThreshold: number;
  pixelThreshold: number;
}

export interface Guide {
  cause: SectionRow[];
  action: SectionRow[];
  other: SectionRow[];
}

export interface ProductSnapshot {
  /** when it was taken (ISO) */
  takenAt: string;
  ctx: InspectionContext;
  /** the embedding space the references are in (null: the station has no embedding model) */
  embeddingModel: string | null;
  references: ReferenceEmbeddingRow[];
  defectTypes: Record<number, DefectTypeRow>;
  guides: Record<number, Guide>;
}

interface Stored extends Omit<ProductSnapshot, 'references'> {
  references: (Omit<ReferenceEmbeddingRow, 'embedding_vector'> & { embedding_vector: string })[];
}

export class ProductSnapshots {
  private byId = new Map<number, ProductSnapshot>();
  private loaded = false;

  constructor(readonly dir: string) {}

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const f of names) {
      if (!/^\d+\.json$/.test(f)) continue;
      try {
        const s = JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')) as Stored;
        this.byId.set(s.ctx.productId, { ...s, references: s.references.map((r) => ({ ...r, embedding_vector: Buffer.from(r.embedding_vector, 'base64') })) });
      } catch {
        /* a damaged snapshot is taken again at the next inspection online */
      }
    }
  }

  get(ref: ProductRef): ProductSnapshot | undefined {
    this.load();
    if ('productId' in ref) return this.byId.get(ref.productId);
    for (const s of this.byId.values()) if (s.ctx.productCode === ref.productCode) return s;
    return undefined;
  }

  /** Whether the product's snapshot should be taken again after reading this context online. */
  stale(ctx: InspectionContext, embeddingModel: string | null, now = Date.now()): boolean {
    const s = this.get({ productId: ctx.productId });
    if (!s) return true;
    return (
      now - Date.parse(s.takenAt) > SNAPSHOT_MAX_AGE_MS ||
      s.embeddingModel !== embeddingModel ||
      JSON.stringify(s.ctx) !== JSON.stringify(ctx)
    );
  }

  save(s: ProductSnapshot): void {
    this.load();
    this.byId.set(s.ctx.productId, s);
    const stored: Stored = { ...s, references: s.references.map((r) => ({ ...r, embedding_vector: Buffer.from(r.embedding_vector).toString('base64') })) };
    writeAtomic(path.join(this.dir, `${s.ctx.productId}.json`), JSON.stringify(stored));
  }
}
