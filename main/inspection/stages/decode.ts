/**
 * Stage 1 of an inspection: decode and check the image (on sharp's threads), once for everything after it (the
 * engine gets the decoded pixels, the store the bytes).
 *
 * decode() starts at once and returns a promise the pipeline awaits later: the image is decoded while the
 * product's context is read, and a product problem is reported before an image problem. An unusable image is a
 * `validation` ApiError naming the file, with the case in `details.reason` (engine/preprocess.ts IMAGE_PROBLEMS).
 */
import type { RgbImage } from '../engine/preprocess';
import { asInputError } from '../service';
import { decodeImage, readImageInput, type DecodedImage, type ImageInput } from '../store';

export interface Decoded {
  /** the image with its pixels (`rgb`) */
  decoded: DecodedImage & { rgb: RgbImage };
  /** what the outcome calls the image: the path given, else the file name */
  label: string;
}

/** Starts decoding `image`; the promise is marked handled (await it when its answer is wanted). */
export function decode(image: ImageInput | Buffer): Promise<Decoded> {
  let decoding: Promise<DecodedImage>;
  try {
    const raw = Buffer.isBuffer(image) ? { bytes: image, fileName: 'image' } : readImageInput(image);
    decoding = decodeImage(raw.bytes, raw.fileName, { pixels: true });
  } catch (e) {
    decoding = Promise.reject(e);
  }
  const out = decoding.then(
    (decoded) => ({
      decoded: decoded as Decoded['decoded'],
      label: Buffer.isBuffer(image) ? decoded.fileName : 'path' in image ? image.path : (image.fileName ?? decoded.fileName),
    }),
    (e) => asInputError(e),
  );
  out.catch(() => undefined);
  return out;
}
