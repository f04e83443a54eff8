// Fuzz loop over the config.json decoder, as tests/unit/plan/decoder_fuzz_test.ts does for the
// plan decoder: documents from the fixtures, mutated (values swapped for other types, members
// removed or added, arrays emptied or grown) and truncated (as text and as trees), go through
// what `create` runs before anything exists: JSON parse, parseSpec (validation), buildPlan, the
// seccomp translation, the cgroup resource plans, the sandbox policy and the recorded hooks.
// Each either accepts the document or throws one of the project's errors with a message that
// starts with a JSON path; never a TypeError, RangeError or other crash.
import { assert, assertEquals } from "../../helpers/assert.ts";
import { parseSpec, SpecError } from "../../../core/spec/mod.ts";
import type { Spec } from "../../../core/spec/mod.ts";
import { buildPlan } from "../../../core/plan/resolve.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { loadLibmoat } from "../../../ffi/libmoat.ts";
import { PlanError } from "../../../core/plan/errors.ts";
import { AttrError } from "../../../core/plan/process_attrs.ts";
import { SeccompError, translateSeccomp } from "../../../core/seccomp/translate.ts";
import { CgroupError } from "../../../core/cgroup/types.ts";
import { detectLayout } from "../../../core/cgroup/detect.ts";
import { planV1 } from "../../../core/cgroup/resources_v1.ts";
import { planV2 } from "../../../core/cgroup/resources_v2.ts";
import { PolicyError, resolvePolicy } from "../../../core/sandbox/policy.ts";
import { recordedHooks } from "../../../core/hooks/lifecycle.ts";
import { fakeHost, PLAN_OPTS } from "../plan/fixtures.ts";
import { hybridHost, v2Host } from "../cgroup/fake_fs.ts";
import { everyFieldSpec, runcDefaultSpec } from "./fixtures.ts";
import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import { defaultSeccompProfile } from "../../../core/seccomp/default_profile.ts";

import { type Json, mutate, ODD, PATH_PREFIX, rng, slots } from "../../helpers/config_mutate.ts";

const PROJECT_ERRORS = [SpecError, PlanError, AttrError, SeccompError, CgroupError, PolicyError];

/** The fake host of the plan tests, where the fixtures' bind sources exist. */
const host = fakeHost({ "/srv/data": "dir" });

const lib = loadLibmoat();

const layouts = [hybridHost(), v2Host()].map((h) => detectLayout(h.mounts, h.fs));

function bases(): Json[] {
  const moatSpec: Json = defaultSpec();
  moatSpec.linux.seccomp = defaultSeccompProfile();
  moatSpec.process.terminal = false;
  // moat's sandbox policy keys, so that mutations reach the policy parser too
  moatSpec.annotations = {
    "dev.moat.surface": "default",
    "dev.moat.virtualize": "on",
    "dev.moat.uname.release": "6.1.0",
    "dev.moat.egress.default": "deny",
    "dev.moat.egress.allow": "10.0.0.0/8:53,2001:db8::/32",
    "dev.moat.egress.deny": "169.254.169.254/32",
    "dev.moat.trace": "all",
    "dev.moat.trace.file": "/run/trace.jsonl",
  };
  const every: Json = everyFieldSpec();
  every.process.terminal = false;
  // LSM labels are refused by moat (no AppArmor or SELinux): a base must be accepted
  delete every.process.apparmorProfile;
  delete every.process.selinuxLabel;
  delete every.linux.mountLabel;
  delete every.linux.intelRdt; // no resctrl on the fake host
  delete every.linux.netDevices; // nor its network devices
  delete every.linux.resources.network; // nor net_cls/net_prio
  delete every.linux.resources.rdma; // nor rdma
  const runc: Json = runcDefaultSpec();
  runc.process.terminal = false;
  return [runc, every, moatSpec];
}

/** Runs what create runs on a decoded document; the first failure, or undefined. */
function decodeAll(raw: Json): unknown {
  try {
    const spec: Spec = parseSpec(raw);
    const plan = buildPlan(spec, PLAN_OPTS, host);
    // the plan of an accepted document encodes, and the sentry's decoder takes it
    const bytes = encodePlan(plan);
    const cErr = lib.planCheck(bytes);
    if (cErr !== null) return new Error(`the C decoder rejects the plan: ${cErr}`);
    if (spec.linux?.seccomp) translateSeccomp(spec.linux.seccomp);
    const res = spec.linux?.resources;
    if (res) {
      // unified keys name cgroup2 controllers: the hybrid host has none of the fixture's there
      planV1({ ...res, unified: undefined }, layouts[0], true);
      planV2(res, layouts[1], { swapFile: true });
    }
    resolvePolicy(spec.annotations);
    recordedHooks(spec);
    return undefined;
  } catch (e) {
    return e;
  }
}

function check(e: unknown, what: string): void {
  if (e === undefined) return;
  assert(
    PROJECT_ERRORS.some((c) => e instanceof c),
    `${what}: crashed with ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}`,
  );
  const msg = (e as Error).message;
  assert(PATH_PREFIX.test(msg), `${what}: the error names no JSON path: ${msg}`);
}

Deno.test("config fuzz: the fixtures themselves decode and plan", () => {
  for (const b of bases()) {
    // the cgroup planners may refuse what one of the two fake hosts lacks (v1 or v2 only
    // fields), naming the field; everything before them accepts the fixtures
    check(decodeAll(b), "a fixture");
    const plan = buildPlan(parseSpec(b), PLAN_OPTS, host);
    assertEquals(lib.planCheck(encodePlan(plan)), null);
  }
});

Deno.test("config fuzz: mutated documents never crash, and every error names a JSON path", () => {
  const rand = rng(Number(Deno.env.get("MOAT_FUZZ_SEED") ?? 0x5EC0));
  let rejected = 0;
  const docs = bases();
  const runs = Number(Deno.env.get("MOAT_FUZZ_RUNS") ?? 6000);
  for (let i = 0; i < runs; i++) {
    const doc = structuredClone(docs[i % docs.length]);
    mutate(doc, rand);
    const text = JSON.stringify(doc);
    const e = decodeAll(JSON.parse(text));
    if (e !== undefined) rejected++;
    check(e, `mutation ${i} (${text.slice(0, 300)})`);
  }
  // most mutations are refused, but enough are accepted to reach the planner and encoder
  assert(rejected > runs / 6 && rejected < runs * 0.95, `${rejected} of ${runs} rejected`);
});

Deno.test("config fuzz: documents truncated as trees and as text", () => {
  const rand = rng(7);
  for (const [b, base] of bases().entries()) {
    // every member removed in turn, and every array cut short
    const n = slots(base).length;
    for (let s = 0; s < n; s++) {
      const doc = structuredClone(base);
      const [parent, key] = slots(doc)[s];
      if (Array.isArray(parent)) parent.length = key as number;
      else delete parent[key];
      check(decodeAll(doc), `base ${b} without slot ${s}`);
    }
    // text cut at any length: invalid JSON (create says so), or a prefix that still parses
    const text = JSON.stringify(base, null, 1);
    for (let cut = 0; cut < text.length; cut += 1 + Math.floor(rand() * 40)) {
      let raw: Json;
      try {
        raw = JSON.parse(text.slice(0, cut));
      } catch {
        continue; // loadSpec turns this into "<bundle>/config.json: invalid JSON: …"
      }
      check(decodeAll(raw), `base ${b} cut at ${cut}`);
    }
  }
  // not an object at all
  for (const raw of ODD) check(decodeAll(raw), `document ${JSON.stringify(raw)}`);
});

Deno.test("config fuzz: what it found is refused at the JSON path (NUL bytes, device numbers, hugepage sizes)", () => {
  const cases: Array<[(s: Json) => void, string]> = [
    [(s) => (s.process.args = ["sh\u0000x"]), "process.args[0]: must not contain a NUL byte"],
    [(s) => (s.process.env = ["A=\u0000"]), "process.env[0]: must not contain a NUL byte"],
    [(s) => (s.hostname = "a\u0000"), "hostname: must not contain a NUL byte"],
    [
      (s) => (s.annotations = { "k\u0000": "v" }),
      'annotations["k\\u0000"]: key must not contain a NUL byte',
    ],
    [
      (s) => (s.linux.devices = [{ type: "c", path: "/dev/x", major: 2 ** 20, minor: 0 }]),
      "linux.devices[0].major: must be a device number in range 0..1048575",
    ],
    [
      (s) => (s.linux.devices = [{ type: "c", path: "/dev/x", major: 1, minor: -1 }]),
      "linux.devices[0].minor: must be a device number in range 0..1048575",
    ],
    [
      (s) => (s.linux.resources = { hugepageLimits: [{ pageSize: "/", limit: 1 }] }),
      'linux.resources.hugepageLimits[0].pageSize: must be a hugepage size such as "2MB" or "1GB"',
    ],
  ];
  for (const [edit, msg] of cases) {
    const doc: Json = runcDefaultSpec();
    edit(doc);
    const e = decodeAll(doc);
    assert(e instanceof SpecError, String(e));
    assertEquals((e as Error).message, msg);
  }
});
