// Encoding and decoding of the sandbox tags 100-119 (sentry/PROTOCOL.md §11): encode.ts and
// decode.ts call in here so the feature's records live in one place.
import type { AttrWriter } from "./attrs_codec.ts";
import { type PlanRecord, recNum, records, recStr, recU64 } from "./records.ts";
import { DenialTag, EgressRuleTag, Tag, VprocDirTag } from "./tags.ts";
import type { LaunchPlan, PlanEgressRule, PlanSandbox } from "./types.ts";

export function encodeSandbox(w: AttrWriter, s: PlanSandbox): void {
  if (s.bpf.length) w.raw(Tag.SANDBOX_BPF, s.bpf);
  w.flag(Tag.SANDBOX_NOTIFY, s.notify);
  w.flag(Tag.SANDBOX_EARLY, s.early);
  w.flag(Tag.SANDBOX_FIRST, s.first);
  w.str(Tag.UNAME_RELEASE, s.unameRelease);
  w.str(Tag.UNAME_VERSION, s.unameVersion);
  w.flag(Tag.VIRT_SYSINFO, s.sysinfo);
  if (s.files) w.u64(Tag.VIRT_FILES, s.files);
  if (s.egress) {
    w.u64(Tag.EGRESS_DEFAULT, s.egress.defaultDeny ? 1 : 0);
    if (s.egress.pod) w.u64(Tag.POD_EGRESS_DEFAULT, s.egress.pod.defaultDeny ? 1 : 0);
    for (const r of s.egress.rules) {
      w.nest(Tag.EGRESS_RULE, (n) => {
        n.u64(EgressRuleTag.FAMILY, r.family);
        n.raw(EgressRuleTag.ADDR, r.addr);
        n.u64(EgressRuleTag.PREFIX, r.prefix);
        if (r.port) n.u64(EgressRuleTag.PORT, r.port);
        n.flag(EgressRuleTag.DENY, r.deny);
        n.flag(EgressRuleTag.POD, r.pod === true);
      });
    }
  }
  if (s.trace) w.u64(Tag.TRACE, s.trace);
  w.str(Tag.TRACE_FILE, s.traceFile);
  for (const d of s.denials) {
    w.nest(Tag.DENIAL, (n) => {
      n.u64(DenialTag.NR, d.nr);
      n.u64(DenialTag.ERRNO, d.errno);
      n.str(DenialTag.NAME, d.name);
    });
  }
  w.str(Tag.ADOPT_SOCKET, s.adoptSocket);
  for (const d of s.vprocDirs) {
    w.nest(Tag.VPROC_DIR, (n) => {
      n.u64(VprocDirTag.KIND, d.kind);
      n.str(VprocDirTag.PATH, d.path);
    });
  }
  w.flag(Tag.VPROC_V2, s.vprocV2);
}

export function isSandboxTag(tag: number): boolean {
  return tag >= 100 && tag <= 119;
}

function sandboxOf(p: LaunchPlan): PlanSandbox {
  return p.sandbox ??= {
    bpf: new Uint8Array(0),
    notify: false,
    early: false,
    first: false,
    sysinfo: false,
    files: 0,
    trace: 0,
    denials: [],
    vprocDirs: [],
    vprocV2: false,
  };
}

/** One top-level record in 100-119 into `p.sandbox`. */
export function decodeSandbox(p: LaunchPlan, r: PlanRecord): void {
  const s = sandboxOf(p);
  const on = () => recU64(r) === 1n;
  switch (r.tag) {
    case Tag.SANDBOX_BPF:
      s.bpf = r.value.slice();
      return;
    case Tag.SANDBOX_NOTIFY:
      s.notify = on();
      return;
    case Tag.SANDBOX_EARLY:
      s.early = on();
      return;
    case Tag.UNAME_RELEASE:
      s.unameRelease = recStr(r);
      return;
    case Tag.UNAME_VERSION:
      s.unameVersion = recStr(r);
      return;
    case Tag.VIRT_SYSINFO:
      s.sysinfo = on();
      return;
    case Tag.VIRT_FILES:
      s.files = recNum(r);
      return;
    case Tag.SANDBOX_FIRST:
      s.first = on();
      return;
    case Tag.EGRESS_DEFAULT:
      (s.egress ??= { defaultDeny: false, rules: [] }).defaultDeny = on();
      return;
    case Tag.POD_EGRESS_DEFAULT:
      (s.egress ??= { defaultDeny: false, rules: [] }).pod = { defaultDeny: on() };
      return;
    case Tag.EGRESS_RULE: {
      const e: PlanEgressRule = {
        family: 4,
        addr: new Uint8Array(0),
        prefix: 0,
        port: 0,
        deny: false,
      };
      for (const n of records(r.value, "egress rule")) {
        if (n.tag === EgressRuleTag.FAMILY) e.family = recNum(n) === 6 ? 6 : 4;
        else if (n.tag === EgressRuleTag.ADDR) e.addr = n.value.slice();
        else if (n.tag === EgressRuleTag.PREFIX) e.prefix = recNum(n);
        else if (n.tag === EgressRuleTag.PORT) e.port = recNum(n);
        else if (n.tag === EgressRuleTag.DENY) e.deny = recU64(n) === 1n;
        else if (n.tag === EgressRuleTag.POD) e.pod = recU64(n) === 1n;
        else throw new Error(`plan: egress rule: unknown tag ${n.tag}`);
      }
      (s.egress ??= { defaultDeny: false, rules: [] }).rules.push(e);
      return;
    }
    case Tag.TRACE:
      s.trace = recNum(r);
      return;
    case Tag.TRACE_FILE:
      s.traceFile = recStr(r);
      return;
    case Tag.DENIAL: {
      const d = { nr: 0, errno: 0, name: "" };
      for (const n of records(r.value, "denial")) {
        if (n.tag === DenialTag.NR) d.nr = recNum(n);
        else if (n.tag === DenialTag.ERRNO) d.errno = recNum(n);
        else if (n.tag === DenialTag.NAME) d.name = recStr(n);
        else throw new Error(`plan: denial: unknown tag ${n.tag}`);
      }
      s.denials.push(d);
      return;
    }
    case Tag.ADOPT_SOCKET:
      s.adoptSocket = recStr(r);
      return;
    case Tag.VPROC_DIR: {
      const d = { kind: 0, path: "" };
      for (const n of records(r.value, "vproc dir")) {
        if (n.tag === VprocDirTag.KIND) d.kind = recNum(n);
        else if (n.tag === VprocDirTag.PATH) d.path = recStr(n);
        else throw new Error(`plan: vproc dir: unknown tag ${n.tag}`);
      }
      s.vprocDirs.push(d);
      return;
    }
    case Tag.VPROC_V2:
      s.vprocV2 = on();
      return;
  }
  throw new Error(`plan: unknown tag ${r.tag}`);
}
