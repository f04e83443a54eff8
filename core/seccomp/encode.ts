// The rule list's binary form, read by moat_seccomp_compile (sentry/seccomp_compile.c):
//   "MSCR" | u32 version 1 | u32 default action | u32 bad-arch action
//   u32 n_arch | u32 token…  | u32 n_rules | rule…
//   rule: u32 action | u8 name_len | name | u8 n_args | { u8 index | u8 op | u64 a | u64 b }…
// It is also the cache key (with the libmoat/libseccomp version), so it must be deterministic.
import type { SeccompRuleList } from "./translate.ts";

const utf8 = new TextEncoder();

export function encodeRules(r: SeccompRuleList): Uint8Array {
  const names = r.rules.map((x) => utf8.encode(x.name));
  let size = 4 + 4 * 4 + 4 * r.arches.length + 4;
  r.rules.forEach((x, i) => {
    if (names[i].length === 0 || names[i].length > 127) {
      throw new Error(`seccomp: syscall name ${JSON.stringify(x.name)} has a bad length`);
    }
    if (x.args.length > 6) throw new Error(`seccomp: more than 6 conditions for ${x.name}`);
    size += 4 + 1 + names[i].length + 1 + x.args.length * 18;
  });
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  let o = 0;
  const u8 = (n: number) => {
    v.setUint8(o, n);
    o += 1;
  };
  const u32 = (n: number) => {
    v.setUint32(o, n >>> 0, true);
    o += 4;
  };
  const u64 = (n: bigint) => {
    v.setBigUint64(o, BigInt.asUintN(64, n), true);
    o += 8;
  };
  out.set(utf8.encode("MSCR"), 0);
  o = 4;
  u32(1);
  u32(r.defaultAction);
  u32(r.badArchAction);
  u32(r.arches.length);
  for (const a of r.arches) u32(a);
  u32(r.rules.length);
  r.rules.forEach((x, i) => {
    u32(x.action);
    u8(names[i].length);
    out.set(names[i], o);
    o += names[i].length;
    u8(x.args.length);
    for (const a of x.args) {
      u8(a.index);
      u8(a.op);
      u64(a.a);
      u64(a.b);
    }
  });
  return out;
}
