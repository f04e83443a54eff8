// Reading plan records (sentry/PROTOCOL.md §1): the helpers every decoder of a nest shares.

export interface PlanRecord {
  tag: number;
  value: Uint8Array;
}

// Paths are bytes to the kernel: like the C decoder, do not insist on UTF-8.
const utf8 = new TextDecoder();

/** The records of a nest (or of a whole plan body). */
export function records(buf: Uint8Array, where = "plan"): PlanRecord[] {
  const out: PlanRecord[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 8) throw new Error(`plan: ${where}: truncated record header at ${off}`);
    const tag = view.getUint16(off, true);
    const len = view.getUint32(off + 4, true);
    if (len > buf.length - off - 8) {
      throw new Error(`plan: ${where}: record (tag ${tag}) runs past the end`);
    }
    out.push({ tag, value: buf.subarray(off + 8, off + 8 + len) });
    off += 8 + len;
  }
  return out;
}

export function recStr(r: PlanRecord): string {
  if (r.value.includes(0)) throw new Error(`plan: tag ${r.tag}: string contains a NUL byte`);
  return utf8.decode(r.value);
}

export function recU64(r: PlanRecord): bigint {
  if (r.value.length !== 8) throw new Error(`plan: tag ${r.tag}: integer length ${r.value.length}`);
  return new DataView(r.value.buffer, r.value.byteOffset, 8).getBigUint64(0, true);
}

export const recNum = (r: PlanRecord) => Number(recU64(r));
