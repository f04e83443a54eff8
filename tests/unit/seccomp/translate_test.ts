// linux.seccomp → rule list: every action, operator, architecture and flag; runc's quirks; errors
// that name the JSON path.
import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { encodeRules } from "../../../core/seccomp/encode.ts";
import { translateSeccomp } from "../../../core/seccomp/translate.ts";
import { listenerStateTemplate, loadEarly } from "../../../core/seccomp/prepare.ts";
import { defaultSeccompProfile } from "../../../core/seccomp/default_profile.ts";
import { SECCOMP_ARCHITECTURES } from "../../../core/spec/tables.ts";
import { parseSpec } from "../../../core/spec/mod.ts";
import { defaultSpec } from "../../../core/bundle/default_spec.ts";
import type { Seccomp } from "../../../core/spec/types.ts";

// deno-lint-ignore no-explicit-any
const t = (s: any) => translateSeccomp(s as Seccomp);

Deno.test("seccomp: every action maps to its SECCOMP_RET value, errnoRet in the low bits", () => {
  const actions: Array<[string, number | undefined, number]> = [
    ["SCMP_ACT_KILL", undefined, 0],
    ["SCMP_ACT_KILL_THREAD", undefined, 0],
    ["SCMP_ACT_KILL_PROCESS", undefined, 0x80000000],
    ["SCMP_ACT_TRAP", undefined, 0x00030000],
    ["SCMP_ACT_ERRNO", undefined, 0x00050001],
    ["SCMP_ACT_ERRNO", 38, 0x00050026],
    ["SCMP_ACT_TRACE", undefined, 0x7ff00000],
    ["SCMP_ACT_TRACE", 7, 0x7ff00007],
    ["SCMP_ACT_LOG", undefined, 0x7ffc0000],
    ["SCMP_ACT_NOTIFY", undefined, 0x7fc00000],
  ];
  for (const [action, errnoRet, want] of actions) {
    const r = t({
      defaultAction: "SCMP_ACT_ALLOW",
      listenerPath: "/run/agent.sock",
      syscalls: [{ names: ["getpid"], action, errnoRet }],
    });
    assertEquals(r.rules.rules[0].action, want, `${action} ${errnoRet}`);
  }
  assertEquals(t({ defaultAction: "SCMP_ACT_ALLOW" }).rules.defaultAction, 0x7fff0000);
  assertEquals(
    t({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38 }).rules.defaultAction,
    0x00050026,
  );
  assertEquals(t({ defaultAction: "SCMP_ACT_ERRNO" }).rules.defaultAction, 0x00050001);
});

Deno.test("seccomp: operators, values and valueTwo become libseccomp comparisons", () => {
  const ops = [
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
  ];
  ops.forEach((op, i) => {
    const r = t({
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{
        names: ["personality"],
        action: "SCMP_ACT_ERRNO",
        args: [{ index: 3, value: 0xff, valueTwo: 8, op }],
      }],
    });
    assertEquals(r.rules.rules[0].args, [{ index: 3, op: i + 1, a: 0xffn, b: 8n }]);
  });
  // 2^64-1 arrives from JSON as 2^64: clamped, not wrapped to 0.
  const big = t({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{
      names: ["x"],
      action: "SCMP_ACT_ERRNO",
      args: [{ index: 0, value: 18446744073709551615, op: "SCMP_CMP_EQ" }],
    }],
  });
  assertEquals(big.rules.rules[0].args[0].a, (1n << 64n) - 1n);
});

Deno.test("seccomp: runc's rule shapes (names expanded, same-index OR, default-action rules dropped)", () => {
  const r = t({
    defaultAction: "SCMP_ACT_ERRNO",
    syscalls: [
      { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
      {
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [
          { index: 0, value: 0, op: "SCMP_CMP_EQ" },
          { index: 0, value: 8, op: "SCMP_CMP_EQ" },
        ],
      },
      {
        names: ["clone"],
        action: "SCMP_ACT_ALLOW",
        args: [
          { index: 0, value: 1, op: "SCMP_CMP_EQ" },
          { index: 1, value: 2, op: "SCMP_CMP_EQ" },
        ],
      },
      { names: ["getpid"], action: "SCMP_ACT_ERRNO" },
    ],
  });
  const summary = r.rules.rules.map((x) => `${x.name}:${x.args.map((a) => a.index).join("+")}`);
  assertEquals(summary, ["read:", "write:", "personality:0", "personality:0", "clone:0+1"]);
});

Deno.test("seccomp: architectures become AUDIT_ARCH tokens, flags become bits", () => {
  for (const [name, token] of Object.entries(SECCOMP_ARCHITECTURES)) {
    assertEquals(t({ defaultAction: "SCMP_ACT_ALLOW", architectures: [name] }).rules.arches, [
      token,
    ]);
  }
  const f = (flags: string[], notify = false) =>
    t({
      defaultAction: "SCMP_ACT_ALLOW",
      flags,
      listenerPath: "/a.sock",
      syscalls: notify ? [{ names: ["getpid"], action: "SCMP_ACT_NOTIFY" }] : [],
    }).flags;
  assertEquals(f(["SECCOMP_FILTER_FLAG_TSYNC"]), 1);
  assertEquals(f(["SECCOMP_FILTER_FLAG_LOG"]), 2);
  assertEquals(f(["SECCOMP_FILTER_FLAG_SPEC_ALLOW"]), 4);
  // WAIT_KILLABLE_RECV only with a listener; TSYNC never with one (the kernel refuses both)
  assertEquals(f(["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]), 0);
  assertEquals(
    f(["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"], true),
    32,
  );
});

Deno.test("seccomp: notify settings and the agent's state document", () => {
  const r = t({
    defaultAction: "SCMP_ACT_ALLOW",
    listenerPath: "/run/agent.sock",
    listenerMetadata: "m",
    syscalls: [{ names: ["mount"], action: "SCMP_ACT_NOTIFY" }],
  });
  assertEquals([r.notify, r.listenerPath, r.listenerMetadata], [true, "/run/agent.sock", "m"]);
  const plain = t({ defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock" });
  assertEquals([plain.notify, plain.listenerPath], [false, undefined]);

  const tmpl = listenerStateTemplate(
    { ociVersion: "1.0.2", id: "c1", bundle: "/b", annotations: { pid: 'x"pid":1' } },
    "meta",
  );
  const doc = JSON.parse(tmpl.replaceAll("\x01", "77"));
  assertEquals(doc, {
    ociVersion: "1.3.0",
    fds: ["seccompFd"],
    pid: 77,
    metadata: "meta",
    state: {
      ociVersion: "1.0.2",
      id: "c1",
      status: "creating",
      pid: 77,
      bundle: "/b",
      annotations: { pid: 'x"pid":1' },
    },
  });
  assertEquals(loadEarly(true, 0n), false);
  assertEquals(loadEarly(false, 1n << 21n), false);
  assertEquals(loadEarly(false, 0n), true);
});

Deno.test("seccomp: malformed profiles are errors naming the JSON path", () => {
  const spec = (seccomp: unknown) => {
    // deno-lint-ignore no-explicit-any
    const s: any = defaultSpec();
    s.linux.seccomp = seccomp;
    return s;
  };
  const cases: Array<[unknown, string]> = [
    [
      {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["a"], action: "SCMP_ACT_ALLOW" }, { names: ["b"], action: "X" }],
      },
      'linux.seccomp.syscalls[1].action: unknown seccomp action "X"',
    ],
    [
      {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["a"], action: "SCMP_ACT_ALLOW" }, {
          names: ["b"],
          action: "SCMP_ACT_LOG",
        }, {
          names: ["b"],
          action: "SCMP_ACT_ERRNO",
          args: [{ index: 0, value: 1, op: "SCMP_CMP_FOO" }],
        }],
      },
      'linux.seccomp.syscalls[2].args[0].op: unknown seccomp operator "SCMP_CMP_FOO"',
    ],
    [
      {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["b"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1 }] }],
      },
      "linux.seccomp.syscalls[0].args[0].index",
    ],
    [
      { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_X"] },
      "linux.seccomp.flags[0]",
    ],
    [{ syscalls: [] }, "linux.seccomp.defaultAction"],
  ];
  for (const [seccomp, msg] of cases) {
    const err = assertThrows(() => {
      const s = parseSpec(spec(seccomp));
      translateSeccomp(s.linux!.seccomp!);
    });
    if (!err.message.includes(msg)) throw new Error(`${err.message} lacks ${msg}`);
  }
  // Checks only translation can make (the validator has no view of their meaning).
  const more: Array<[unknown, string]> = [
    [
      { defaultAction: "SCMP_ACT_NOTIFY", listenerPath: "/a" },
      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action",
    ],
    [
      { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["x"], action: "SCMP_ACT_NOTIFY" }] },
      "linux.seccomp.listenerPath: is required when a rule uses SCMP_ACT_NOTIFY",
    ],
    [
      {
        defaultAction: "SCMP_ACT_ALLOW",
        listenerPath: "/a",
        syscalls: [{ names: ["x", "read"], action: "SCMP_ACT_NOTIFY" }],
      },
      "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the read syscall",
    ],
    [
      {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["x"], action: "SCMP_ACT_ERRNO", errnoRet: 70000 }],
      },
      "linux.seccomp.syscalls[0].action: errno 70000 does not fit",
    ],
  ];
  for (const [seccomp, msg] of more) {
    const err = assertThrows(() => t(seccomp));
    if (!err.message.startsWith(msg)) throw new Error(`${err.message} is not ${msg}`);
  }
});

Deno.test("seccomp: the default profile is valid and its rule list is deterministic", () => {
  const s = parseSpec({ ...defaultSpec(), linux: { seccomp: defaultSeccompProfile() } });
  const a = encodeRules(translateSeccomp(s.linux!.seccomp!).rules);
  const b = encodeRules(translateSeccomp(defaultSeccompProfile()).rules);
  assertEquals(a, b);
  const names = defaultSeccompProfile().syscalls!.flatMap((x) => x.names);
  for (const refused of ["bpf", "io_uring_setup", "userfaultfd", "keyctl", "ptrace", "mount"]) {
    assertEquals(names.includes(refused), false, refused);
  }
});
