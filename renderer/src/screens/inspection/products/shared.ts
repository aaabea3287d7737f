/** What more than one of the products screen's panels uses. */

/** A chosen file's bytes, uploaded as they are (IPC structured clone, or multipart to the browser host). */
export async function readFile(file: File): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await file.arrayBuffer());
}
