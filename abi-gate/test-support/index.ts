/**
 * Test support shared by every folder's tests: where fixtures are, the raw tar writer, the
 * node-like ELF builder. Tests in other folders come in through this file only (the boundary
 * test allows `<folder>/test-support/index.ts` to test code, and nothing else).
 */
export { FIXTURES, ELF_FIXTURES, elfFilesUnder, fixturePath } from './fixtures.js';
export { buildNodeLikeElves, type NodeLikeElves } from './node-like-elf.js';
export {
  BLOCK,
  END,
  buildTar,
  buildTarGz,
  endBlocks,
  entryBytes,
  gnuLongMember,
  gzip,
  header,
  headerBlock,
  member,
  padded,
  paxEntry,
  paxMember,
  paxRecord,
  sealChecksum,
  specMember,
  type HeaderFields,
  type RawEntry,
  type TarEntryKind,
  type TarEntrySpec,
} from '../tar/test-support/raw-tar.js';
