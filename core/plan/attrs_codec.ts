// Encoding and decoding of the hook and process-attribute tags 60-79 (sentry/PROTOCOL.md §8);
// encode.ts and decode.ts call in here so the feature's records live in one place.
import { HookTag, SchedTag, SysctlTag, Tag, TimeOffsetTag } from "./tags.ts";
import type { LaunchPlan, PlanAttrs } from "./types.ts";
import { type PlanRecord, records, recStr, recU64 } from "./records.ts";

/** The subset of encode.ts's RecordWriter this module uses. */
export interface AttrWriter {
  str(tag: number, value: string | undefined): void;
  u64(tag: number, value: number | bigint | undefined): void;
  flag(tag: number, on: boolean): void;
  raw(tag: number, value: Uint8Array | undefined): void;
  nest(tag: number, fill: (w: AttrWriter) => void): void;
}

const HOOK_KIND = { createContainer: 1, startContainer: 2 } as const;

export function encodeAttrs(w: AttrWriter, a: PlanAttrs): void {
  for (const h of a.hooks) {
    w.nest(Tag.HOOK, (n) => {
      n.u64(HookTag.KIND, HOOK_KIND[h.kind]);
      n.u64(HookTag.INDEX, h.index);
      n.str(HookTag.PATH, h.path);
      for (const arg of h.args) n.str(HookTag.ARG, arg);
      for (const e of h.env) n.str(HookTag.ENV, e);
      if (h.timeout) n.u64(HookTag.TIMEOUT, h.timeout);
      n.str(HookTag.STATE_HEAD, h.stateHead);
      n.str(HookTag.STATE_TAIL, h.stateTail);
    });
  }
  w.flag(Tag.HOOK_PAUSE, a.hookPause);
  for (const s of a.sysctls) {
    w.nest(Tag.SYSCTL, (n) => {
      n.str(SysctlTag.KEY, s.key);
      n.str(SysctlTag.PATH, s.path);
      n.str(SysctlTag.VALUE, s.value);
    });
  }
  w.u64(Tag.PERSONALITY, a.personality);
  const s = a.scheduler;
  if (s) {
    w.nest(Tag.SCHEDULER, (n) => {
      n.u64(SchedTag.POLICY, s.policy);
      if (s.flags) n.u64(SchedTag.FLAGS, s.flags);
      if (s.nice) n.u64(SchedTag.NICE, s.nice);
      if (s.priority) n.u64(SchedTag.PRIORITY, s.priority);
      if (s.runtime) n.u64(SchedTag.RUNTIME, s.runtime);
      if (s.deadline) n.u64(SchedTag.DEADLINE, s.deadline);
      if (s.period) n.u64(SchedTag.PERIOD, s.period);
    });
  }
  w.u64(Tag.IOPRIO, a.ioPriority);
  w.raw(Tag.CPU_AFFINITY_INITIAL, a.cpuAffinityInitial);
  w.raw(Tag.CPU_AFFINITY_FINAL, a.cpuAffinityFinal);
  for (const t of a.timeOffsets) {
    w.nest(Tag.TIME_OFFSET, (n) => {
      n.u64(TimeOffsetTag.CLOCK, t.clock);
      n.u64(TimeOffsetTag.SECS, t.secs);
      n.u64(TimeOffsetTag.NSECS, t.nsecs);
    });
  }
}

export type AttrRecord = PlanRecord;

export function isAttrTag(tag: number): boolean {
  return tag >= 60 && tag <= 79;
}

const nested = (buf: Uint8Array) => records(buf, "attrs");
const str = recStr;
const u64 = recU64;
const num = (r: AttrRecord) => Number(u64(r));
const i64 = (r: AttrRecord) => BigInt.asIntN(64, u64(r));

function attrsOf(p: LaunchPlan): PlanAttrs {
  return p.attrs ??= { hooks: [], hookPause: false, sysctls: [], timeOffsets: [] };
}

/** One top-level record in 60-79 into `p.attrs`. */
export function decodeAttr(p: LaunchPlan, r: AttrRecord): void {
  const a = attrsOf(p);
  switch (r.tag) {
    case Tag.HOOK: {
      const h: PlanAttrs["hooks"][number] = {
        kind: "createContainer",
        index: 0,
        path: "",
        args: [],
        env: [],
        timeout: 0,
        stateHead: "",
        stateTail: "",
      };
      for (const n of nested(r.value)) {
        if (n.tag === HookTag.KIND) h.kind = num(n) === 2 ? "startContainer" : "createContainer";
        else if (n.tag === HookTag.INDEX) h.index = num(n);
        else if (n.tag === HookTag.PATH) h.path = str(n);
        else if (n.tag === HookTag.ARG) h.args.push(str(n));
        else if (n.tag === HookTag.ENV) h.env.push(str(n));
        else if (n.tag === HookTag.TIMEOUT) h.timeout = num(n);
        else if (n.tag === HookTag.STATE_HEAD) h.stateHead = str(n);
        else if (n.tag === HookTag.STATE_TAIL) h.stateTail = str(n);
        else throw new Error(`plan: hook: unknown tag ${n.tag}`);
      }
      a.hooks.push(h);
      return;
    }
    case Tag.HOOK_PAUSE:
      a.hookPause = u64(r) === 1n;
      return;
    case Tag.SYSCTL: {
      const s = { key: "", path: "", value: "" };
      for (const n of nested(r.value)) {
        if (n.tag === SysctlTag.KEY) s.key = str(n);
        else if (n.tag === SysctlTag.PATH) s.path = str(n);
        else if (n.tag === SysctlTag.VALUE) s.value = str(n);
        else throw new Error(`plan: sysctl: unknown tag ${n.tag}`);
      }
      a.sysctls.push(s);
      return;
    }
    case Tag.PERSONALITY:
      a.personality = num(r);
      return;
    case Tag.SCHEDULER: {
      const s = {
        policy: 0,
        flags: 0,
        nice: 0,
        priority: 0,
        runtime: 0n,
        deadline: 0n,
        period: 0n,
      };
      for (const n of nested(r.value)) {
        if (n.tag === SchedTag.POLICY) s.policy = num(n);
        else if (n.tag === SchedTag.FLAGS) s.flags = num(n);
        else if (n.tag === SchedTag.NICE) s.nice = Number(i64(n));
        else if (n.tag === SchedTag.PRIORITY) s.priority = num(n);
        else if (n.tag === SchedTag.RUNTIME) s.runtime = u64(n);
        else if (n.tag === SchedTag.DEADLINE) s.deadline = u64(n);
        else if (n.tag === SchedTag.PERIOD) s.period = u64(n);
        else throw new Error(`plan: scheduler: unknown tag ${n.tag}`);
      }
      a.scheduler = s;
      return;
    }
    case Tag.IOPRIO:
      a.ioPriority = num(r);
      return;
    case Tag.CPU_AFFINITY_INITIAL:
      a.cpuAffinityInitial = r.value.slice();
      return;
    case Tag.CPU_AFFINITY_FINAL:
      a.cpuAffinityFinal = r.value.slice();
      return;
    case Tag.TIME_OFFSET: {
      const t = { clock: 0, secs: 0n, nsecs: 0 };
      for (const n of nested(r.value)) {
        if (n.tag === TimeOffsetTag.CLOCK) t.clock = num(n);
        else if (n.tag === TimeOffsetTag.SECS) t.secs = i64(n);
        else if (n.tag === TimeOffsetTag.NSECS) t.nsecs = num(n);
        else throw new Error(`plan: time offset: unknown tag ${n.tag}`);
      }
      a.timeOffsets.push(t);
      return;
    }
  }
  throw new Error(`plan: unknown tag ${r.tag}`);
}
