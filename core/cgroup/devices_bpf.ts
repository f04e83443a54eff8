// Compiles device rules into a BPF_PROG_TYPE_CGROUP_DEVICE program (the layout of runc's
// libcontainer/cgroups/devices/devicefilter.go). TypeScript decides every instruction; libmoat
// only loads the bytes and attaches them to the container's cgroup2 directory.
//
// Context (struct bpf_cgroup_dev_ctx): u32 access_type = access << 16 | type; u32 major; u32 minor.
// type: 1 block, 2 char; access: 1 mknod, 2 read, 4 write. Return 1 = allow, 0 = deny.
import type { DeviceRule } from "./devices.ts";

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
// opcodes (linux/bpf_common.h + bpf.h)
const LDXW = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const AND32K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const RSH32K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const MOV32X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const MOV32K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const JNEK = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JNEX = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
const EXIT = 0x95; // BPF_JMP | BPF_EXIT

export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
  code,
  dst,
  src,
  off,
  imm,
});

function accessBits(access: string): number {
  let a = 0;
  if (access.includes("m")) a |= BPF_DEVCG_ACC_MKNOD;
  if (access.includes("r")) a |= BPF_DEVCG_ACC_READ;
  if (access.includes("w")) a |= BPF_DEVCG_ACC_WRITE;
  return a;
}

/** The instructions of one rule: falls through to the next block when the rule does not match. */
function ruleBlock(r: DeviceRule): Insn[] {
  // Each check ends with its jump; `skip` is how many insns follow that jump in this block.
  const checks: Array<(skip: number) => Insn[]> = [];
  if (r.type !== "a") {
    const t = r.type === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
    checks.push((skip) => [ins(JNEK, R2, 0, skip, t)]);
  }
  const acc = accessBits(r.access);
  if (acc !== 7) {
    // The requested access must be a subset of the rule's: (req & acc) == req.
    checks.push((skip) => [
      ins(MOV32X, R1, R3, 0, 0),
      ins(AND32K, R1, 0, 0, acc),
      ins(JNEX, R1, R3, skip, 0),
    ]);
  }
  if (r.major !== -1) checks.push((skip) => [ins(JNEK, R4, 0, skip, r.major)]);
  if (r.minor !== -1) checks.push((skip) => [ins(JNEK, R5, 0, skip, r.minor)]);
  const sizes = checks.map((f) => f(0).length);
  const blockLen = sizes.reduce((a, b) => a + b, 0) + 2; // + mov r0, verdict; exit
  const out: Insn[] = [];
  checks.forEach((f, i) => {
    const after = out.length + sizes[i];
    out.push(...f(blockLen - after));
  });
  out.push(ins(MOV32K, R0, 0, 0, r.allow ? 1 : 0), ins(EXIT, 0, 0, 0, 0));
  return out;
}

/**
 * Rules are evaluated last-to-first (the last matching rule wins); a rule that matches every
 * device and access ends the search (earlier rules cannot matter). No match: deny.
 */
export function compileDeviceFilter(rules: DeviceRule[]): Insn[] {
  const prog: Insn[] = [
    ins(LDXW, R2, R1, 0, 0),
    ins(AND32K, R2, 0, 0, 0xffff),
    ins(LDXW, R3, R1, 0, 0),
    ins(RSH32K, R3, 0, 0, 16),
    ins(LDXW, R4, R1, 4, 0),
    ins(LDXW, R5, R1, 8, 0),
  ];
  let sawCatchAll = false;
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i];
    prog.push(...ruleBlock(r));
    if (r.type === "a" && r.major === -1 && r.minor === -1 && accessBits(r.access) === 7) {
      sawCatchAll = true;
      break;
    }
  }
  if (!sawCatchAll) prog.push(ins(MOV32K, R0, 0, 0, 0), ins(EXIT, 0, 0, 0, 0));
  return prog;
}

/** struct bpf_insn bytes: u8 code; u8 dst:4, src:4; s16 off; s32 imm (little-endian). */
export function encodeInsns(prog: Insn[]): Uint8Array {
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  prog.forEach((p, i) => {
    v.setUint8(i * 8, p.code);
    v.setUint8(i * 8 + 1, (p.src << 4) | (p.dst & 0xf));
    v.setInt16(i * 8 + 2, p.off, true);
    v.setInt32(i * 8 + 4, p.imm | 0, true);
  });
  return out;
}

/**
 * A tiny interpreter of exactly the instructions compileDeviceFilter emits: unit tests run the
 * compiled program against device accesses without a kernel.
 */
export function runDeviceFilter(
  prog: Insn[],
  type: "c" | "b",
  major: number,
  minor: number,
  access: string,
): boolean {
  const ctx = [
    ((accessBits(access) << 16) | (type === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR)) >>> 0,
    major >>> 0,
    minor >>> 0,
  ];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0; pc < prog.length; pc++) {
    const p = prog[pc];
    switch (p.code) {
      case LDXW:
        r[p.dst] = ctx[p.off / 4];
        break;
      case AND32K:
        r[p.dst] = (r[p.dst] & p.imm) >>> 0;
        break;
      case RSH32K:
        r[p.dst] = r[p.dst] >>> p.imm;
        break;
      case MOV32X:
        r[p.dst] = r[p.src] >>> 0;
        break;
      case MOV32K:
        r[p.dst] = p.imm >>> 0;
        break;
      case JNEK:
        if (r[p.dst] !== p.imm >>> 0) pc += p.off;
        break;
      case JNEX:
        if (r[p.dst] !== r[p.src]) pc += p.off;
        break;
      case EXIT:
        return r[R0] === 1;
      default:
        throw new Error(`unexpected opcode ${p.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("program fell off its end");
}
