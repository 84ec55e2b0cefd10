/** The project's one tar reader: packager and doctor import it from here. */
export { readTar } from './read-tar.js';
export { TarError, isTarError, type TarErrorKind } from './errors.js';
export { parsePaxRecords } from './pax.js';
export type {
  EntryBody,
  ReadTarOptions,
  ReadTarResult,
  TarEntryHandler,
  TarEntryInfo,
  TarEntryType,
  TarLimits,
  TarMetaRecord,
} from './types.js';
export { TAR_FIELDS, BLOCK as TAR_BLOCK, bodyOffset, entryEndOffset, numberField } from './header.js';
