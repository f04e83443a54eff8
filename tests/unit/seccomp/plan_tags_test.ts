// The seccomp part of the launch plan (tags 50-55): round trip through both decoders, and the C
// decoder's bounds checks.
import { assert, assertEquals } from "../../helpers/assert.ts";
import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import { decodePlan } from "../../../core/plan/decode.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { buildPlan } from "../../../core/plan/resolve.ts";
import type { LaunchPlan, PlanSeccomp } from "../../../core/plan/types.ts";
import { parseSpec } from "../../../core/spec/mod.ts";
import { loadLibmoat } from "../../../ffi/libmoat.ts";
import { fakeHost } from "../plan/fixtures.ts";

function plan(seccomp?: PlanSeccomp): LaunchPlan {
  const spec = defaultSpec() as { process: { terminal: boolean } };
  spec.process.terminal = false;
  const p = buildPlan(parseSpec(spec), {
    id: "sc",
    bundle: "/bundle",
    notifySocket: "/run/moat/sc/notify.sock",
    controlSocket: "/run/moat/sc/sentry.sock",
    noPivot: false,
    noNewKeyring: false,
    preserveFds: 0,
  }, fakeHost());
  if (seccomp) p.seccomp = seccomp;
  return p;
}

const bpf = (insns: number) => new Uint8Array(insns * 8).fill(6);

Deno.test("plan: seccomp tags round-trip and pass the C decoder", () => {
  const lib = loadLibmoat();
  const s: PlanSeccomp = {
    bpf: bpf(3),
    flags: 2 | 4 | 32,
    notify: true,
    early: true,
    listenerPath: "/run/agent.sock",
    listenerState: '{"pid":\x01}',
  };
  const bytes = encodePlan(plan(s));
  assertEquals(lib.planCheck(bytes), null);
  assertEquals(decodePlan(bytes).seccomp, s);
  assertEquals(lib.planCheck(encodePlan(plan())), null);
});

Deno.test("plan: the C decoder refuses bad seccomp records", () => {
  const lib = loadLibmoat();
  const base: PlanSeccomp = { bpf: bpf(2), flags: 0, notify: false, early: false };
  const cases: Array<[Partial<PlanSeccomp>, RegExp]> = [
    [{ bpf: new Uint8Array(12) }, /SECCOMP_BPF of 12 bytes/],
    [{ bpf: bpf(4097) }, /SECCOMP_BPF of 32776 bytes/],
    [{ flags: 8 }, /SECCOMP_FLAGS 0x8 has unknown bits/],
    [{ notify: true }, /SECCOMP_NOTIFY without SECCOMP_LISTENER_PATH/],
    [{ listenerPath: "/a.sock", listenerState: "{}" }, /a seccomp listener without SECCOMP_NOTIFY/],
    [{ flags: 32 }, /WAIT_KILLABLE_RECV needs SECCOMP_NOTIFY/],
    [
      { notify: true, flags: 1, listenerPath: "/a", listenerState: "{}" },
      /TSYNC cannot be combined/,
    ],
    [
      { notify: true, listenerPath: "relative.sock", listenerState: "{}" },
      /not an absolute path/,
    ],
    [
      // any socket path up to PATH_MAX works (bound through its directory's fd): not longer
      { notify: true, listenerPath: `/${"x".repeat(4100)}`, listenerState: "{}" },
      /exceeds the limit/,
    ],
  ];
  for (const [change, msg] of cases) {
    const err = lib.planCheck(encodePlan(plan({ ...base, ...change })));
    assert(err !== null && msg.test(err), `${JSON.stringify(change).slice(0, 80)}: ${err}`);
  }
  const long = { notify: true, listenerPath: `/${"x/".repeat(100)}a.sock`, listenerState: "{}" };
  assertEquals(lib.planCheck(encodePlan(plan({ ...base, ...long }))), null, "a 200-byte path");
  // BPF_MAXINSNS exactly is fine
  assertEquals(lib.planCheck(encodePlan(plan({ ...base, bpf: bpf(4096) }))), null);
});
