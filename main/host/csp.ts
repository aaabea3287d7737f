/**
 * The renderer's Content-Security-Policy, one string for both shells: the browser host sends it with index.html,
 * Electron main sets it on every response of its session. Pictures come from 'self' (the host's /api/file/…),
 * linedeck: (Electron's protocol for stored files), data: and blob: (captures, previews).
 * Its own module so Electron main imports it without the host's server code.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' linedeck: data: blob:; media-src 'self' blob: mediastream:; font-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
