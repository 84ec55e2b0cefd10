/**
 * A section-stripped copy of an ELF file, made the way hostile or size-conscious tools do it:
 * zero e_shoff, e_shnum and e_shstrndx. The loader never looks at sections, so the copy loads
 * and enforces the same versions, while binutils (`readelf -V`, `objdump -T`) sees none.
 */
export function stripSectionHeaders(elf: Buffer): Buffer {
  const out = Buffer.from(elf);
  const is64 = out[4] === 2;
  const le = out[5] === 1;
  const w16 = (at: number): void => void (le ? out.writeUInt16LE(0, at) : out.writeUInt16BE(0, at));
  if (is64) out.writeBigUInt64LE(0n, 40);
  else out.writeUInt32LE(0, 32);
  w16(is64 ? 60 : 48);
  w16(is64 ? 62 : 50);
  return out;
}
