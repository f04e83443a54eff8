// Seccomp (linux.seccomp) in real containers: a static probe (tests/helpers/syscall_probe.c)
// makes raw syscalls inside the container and prints what the kernel returned.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { socketPath } from "../helpers/run_dir.ts";
import { isRoot, makeBundle, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import { moat, moatToFile, ROOT, runBundle, waitFor } from "../helpers/moat.ts";
import { NR, probeResults, withProbe } from "../helpers/probe.ts";
import { dockerLikeSeccompProfile } from "../../tools/seccomp_docker_like.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };
const SIGSYS = 31;

/** What musl's static startup, printf and exit need when the default action refuses. */
const PROBE_NEEDS = [
  "execve",
  "arch_prctl",
  "set_tid_address",
  "write",
  "writev",
  "ioctl",
  "brk",
  "mmap",
  "munmap",
  "exit",
  "exit_group",
  "rt_sigprocmask",
  "rt_sigaction",
];

async function probe(calls: string[], seccomp: SpecObject, edit?: (s: SpecObject) => void) {
  const bundle = makeBundle(["/probe", ...calls], (s) => {
    withProbe(s);
    s.linux.seccomp = seccomp;
    edit?.(s);
  });
  const r = await runBundle(bundle, uniqueId("sc"));
  return { ...r, res: probeResults(r.stdout) };
}

const errno = (n: number) => `-1 errno ${n}`;
const isSuccess = (v: string | undefined) => v !== undefined && !v.startsWith("-1 ");

Deno.test({
  name: "seccomp: ERRNO returns errnoRet (EPERM by default), defaultAction covers the rest",
  ...root,
  async fn() {
    const r = await probe([`${NR.getppid}`, `${NR.umask},18`, `${NR.getuid}`, `${NR.getpid}`], {
      defaultAction: "SCMP_ACT_ERRNO",
      defaultErrnoRet: 13,
      syscalls: [
        { names: PROBE_NEEDS, action: "SCMP_ACT_ALLOW" },
        { names: ["getpid"], action: "SCMP_ACT_ALLOW" },
        { names: ["getppid"], action: "SCMP_ACT_ERRNO" },
        { names: ["umask"], action: "SCMP_ACT_ERRNO", errnoRet: 42 },
      ],
    });
    assertEquals(r.stderr, "");
    assertEquals(r.res[`${NR.getppid}`], errno(1), "ERRNO without errnoRet is EPERM");
    assertEquals(r.res[`${NR.umask},18`], errno(42), "the rule's errnoRet");
    assertEquals(r.res[`${NR.getuid}`], errno(13), "an unlisted syscall gets defaultErrnoRet");
    assertEquals(r.res[`${NR.getpid}`], "1", "an allowed syscall works (pid 1)");
    assertEquals(r.code, 0);
  },
});

Deno.test({
  name: "seccomp: argument conditions match exactly (every operator, 64-bit values, AND/OR)",
  ...root,
  async fn() {
    const e = (names: string[], errnoRet: number, args: SpecObject[]) => ({
      names,
      action: "SCMP_ACT_ERRNO",
      errnoRet,
      args,
    });
    const r = await probe(
      [
        "39,5",
        "39,6",
        "102,9",
        "102,10",
        "104,10",
        "104,11",
        "107,10",
        "107,9",
        "108,11",
        "108,10",
        "24,0x3f",
        "24,0x4f",
        "110,0x100000000,7",
        "110,0,7",
        "110,0x100000000,8",
        "111,1",
        "111,2",
        "111,3",
      ],
      {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [
          e(["getpid"], 11, [{ index: 0, value: 5, op: "SCMP_CMP_NE" }]),
          e(["getuid"], 12, [{ index: 0, value: 10, op: "SCMP_CMP_LT" }]),
          e(["getgid"], 13, [{ index: 0, value: 10, op: "SCMP_CMP_LE" }]),
          e(["geteuid"], 14, [{ index: 0, value: 10, op: "SCMP_CMP_GE" }]),
          e(["getegid"], 15, [{ index: 0, value: 10, op: "SCMP_CMP_GT" }]),
          e(["sched_yield"], 16, [{
            index: 0,
            value: 0xf0,
            valueTwo: 0x30,
            op: "SCMP_CMP_MASKED_EQ",
          }]),
          // two arguments: both must match (AND)
          e(["getppid"], 17, [
            { index: 0, value: 0x100000000, op: "SCMP_CMP_EQ" },
            { index: 1, value: 7, op: "SCMP_CMP_EQ" },
          ]),
          // the same argument twice: either matches (runc's OR)
          e(["getpgrp"], 18, [
            { index: 0, value: 1, op: "SCMP_CMP_EQ" },
            { index: 0, value: 2, op: "SCMP_CMP_EQ" },
          ]),
        ],
      },
    );
    assertEquals(r.stderr, "");
    const expect: Record<string, string | true> = {
      "39,5": true,
      "39,6": errno(11),
      "102,9": errno(12),
      "102,10": true,
      "104,10": errno(13),
      "104,11": true,
      "107,10": errno(14),
      "107,9": true,
      "108,11": errno(15),
      "108,10": true,
      "24,0x3f": errno(16),
      "24,0x4f": true,
      "110,0x100000000,7": errno(17),
      "110,0,7": true,
      "110,0x100000000,8": true,
      "111,1": errno(18),
      "111,2": errno(18),
      "111,3": true,
    };
    for (const [call, want] of Object.entries(expect)) {
      if (want === true) assert(isSuccess(r.res[call]), `${call} should succeed: ${r.res[call]}`);
      else assertEquals(r.res[call], want, call);
    }
  },
});

Deno.test({
  name: "seccomp: personality is allowed only for the listed values (Docker's pattern)",
  ...root,
  async fn() {
    const allow = (value: number) => ({
      names: ["personality"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value, op: "SCMP_CMP_EQ" }],
    });
    const r = await probe(["135,0", "135,8", "135,0xffffffff", "135,4"], {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: PROBE_NEEDS, action: "SCMP_ACT_ALLOW" }, allow(0), allow(8)],
    });
    assertEquals(r.res["135,0"], "0");
    assertEquals(r.res["135,8"], "0", "personality(PER_LINUX32) allowed, returns the old one");
    assertEquals(r.res["135,0xffffffff"], errno(1), "the query value is not listed");
    assertEquals(r.res["135,4"], errno(1));
  },
});

Deno.test({
  name: "seccomp: KILL_PROCESS and KILL kill with SIGSYS, TRAP raises SIGSYS",
  ...root,
  async fn() {
    for (const action of ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"]) {
      const r = await probe([`${NR.getpid}`, `${NR.getppid}`, `${NR.getuid}`], {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["getppid"], action }],
      });
      assertEquals(r.res[`${NR.getpid}`], "1", `${action}: the call before ran`);
      assertEquals(r.res[`${NR.getppid}`], undefined, `${action}: the process died in the call`);
      assertEquals(r.res[`${NR.getuid}`], undefined);
      assertEquals(r.code, 128 + SIGSYS, `${action}: killed by SIGSYS`);
    }
  },
});

Deno.test({
  name: "seccomp: LOG lets the call through, TRACE without a tracer is ENOSYS",
  ...root,
  async fn() {
    const r = await probe([`${NR.getppid}`, `${NR.getuid}`], {
      defaultAction: "SCMP_ACT_ALLOW",
      flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
      syscalls: [
        { names: ["getppid"], action: "SCMP_ACT_LOG" },
        { names: ["getuid"], action: "SCMP_ACT_TRACE" },
      ],
    });
    assertEquals(r.res[`${NR.getppid}`], "0", "pid 1's parent is outside the namespace: 0");
    assertEquals(r.res[`${NR.getuid}`], errno(38));
    assertEquals(r.code, 0);
  },
});

Deno.test({
  name: "seccomp: i386 and x32 syscalls are handled per architectures",
  ...root,
  async fn() {
    const profile = (architectures: string[]) => ({
      defaultAction: "SCMP_ACT_ALLOW",
      architectures,
      syscalls: [{ names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 42 }],
    });
    // Every architecture listed: the rule applies to each ABI's own number.
    const all = await probe(
      [`${NR.getppid}`, `i386:${NR.i386.getppid}`, `i386:${NR.i386.getpid}`, `x32:${NR.getppid}`],
      profile(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
    );
    assertEquals(all.res[`${NR.getppid}`], errno(42));
    assertEquals(all.res[`i386:${NR.i386.getppid}`], errno(42), "i386 getppid (64)");
    assertEquals(all.res[`i386:${NR.i386.getpid}`], "1", "i386 getpid (20) allowed");
    assertEquals(all.res[`x32:${NR.getppid}`], errno(42), "x32 getppid");
    assertEquals(all.code, 0);

    // x86 listed, x32 not: x32 calls are a foreign architecture (killed).
    const noX32 = await probe(
      [`i386:${NR.i386.getppid}`, `x32:${NR.getppid}`, `${NR.getpid}`],
      profile(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]),
    );
    assertEquals(noX32.res[`i386:${NR.i386.getppid}`], errno(42));
    assertEquals(noX32.res[`x32:${NR.getppid}`], undefined);
    assertEquals(noX32.code, 128 + SIGSYS);

    // Native only: an i386 syscall kills the process.
    const native = await probe([`${NR.getpid}`, `i386:${NR.i386.getpid}`, `${NR.getuid}`], {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["getppid"], action: "SCMP_ACT_ERRNO" }],
    });
    assertEquals(native.res[`${NR.getpid}`], "1");
    assertEquals(native.res[`i386:${NR.i386.getpid}`], undefined);
    assertEquals(native.code, 128 + SIGSYS);
  },
});

Deno.test({
  name: "seccomp: without no_new_privs and CAP_SYS_ADMIN the filter is loaded before the setuid",
  ...root,
  async fn() {
    const r = await probe([`${NR.getppid}`, `${NR.getuid}`], {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 42 }],
    }, (s) => {
      s.process.noNewPrivileges = false;
      s.process.user = { uid: 1000, gid: 1000 };
    });
    assertEquals(r.stderr, "");
    assertEquals(r.res[`${NR.getppid}`], errno(42));
    assertEquals(r.res[`${NR.getuid}`], "1000");
  },
});

Deno.test({
  name: "seccomp: a Docker-like default profile runs a shell",
  ...root,
  async fn() {
    const profile = dockerLikeSeccompProfile();
    const bundle = makeBundle(["sh", "-c", "echo hello; ls / | wc -l"], (s) => {
      s.linux.seccomp = profile;
    });
    const r = await runBundle(bundle, uniqueId("sc"));
    assertEquals(r.stderr, "");
    assertEquals(r.stdout.split("\n")[0], "hello");
    assertEquals(r.code, 0);
  },
});

Deno.test({
  name: "seccomp: malformed profiles fail create with the JSON path, leaving nothing behind",
  ...root,
  async fn() {
    const cases: Array<[SpecObject, string]> = [
      [
        {
          defaultAction: "SCMP_ACT_ALLOW",
          syscalls: [{
            names: ["getpid"],
            action: "SCMP_ACT_ERRNO",
            args: [{ index: 0, value: 1, op: "SCMP_CMP_FOO" }],
          }],
        },
        'linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_FOO"',
      ],
      [
        { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_VAX"] },
        'linux.seccomp.architectures[0]: unknown seccomp architecture "SCMP_ARCH_VAX"',
      ],
      [
        {
          defaultAction: "SCMP_ACT_ALLOW",
          syscalls: [{ names: ["x"], action: "SCMP_ACT_NOTIFY" }],
        },
        "linux.seccomp.listenerPath: is required when a rule uses SCMP_ACT_NOTIFY",
      ],
      [
        {
          defaultAction: "SCMP_ACT_ALLOW",
          listenerPath: "/tmp/x.sock",
          syscalls: [{ names: ["write"], action: "SCMP_ACT_NOTIFY" }],
        },
        "linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot be used for the write syscall",
      ],
    ];
    for (const [seccomp, msg] of cases) {
      const id = uniqueId("bad");
      const bundle = makeBundle(["true"], (s) => (s.linux.seccomp = seccomp));
      const r = await moat(["create", "--bundle", bundle, id]);
      assertEquals(r.code, 1, msg);
      assertStringIncludes(r.stderr, msg);
      const list = await moat(["list", "-q"]);
      assert(!list.stdout.includes(id), "no container left behind");
      let exists = true;
      try {
        Deno.statSync(`${ROOT}/${id}`);
      } catch {
        exists = false;
      }
      assert(!exists, "no state directory left behind");
    }
  },
});

for (const nnp of [true, false]) {
  Deno.test({
    name: `seccomp: a notify agent gets the listener and the state, and answers the syscall ` +
      `(${nnp ? "loaded before execve" : "loaded before the credential change"})`,
    ...root,
    fn: () => notifyAgent(nnp),
  });
}

async function notifyAgent(noNewPrivileges: boolean) {
  {
    const agentBin = `${WORK}/seccomp_agent`;
    const built = new Deno.Command("gcc", {
      args: [
        "-O1",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-o",
        agentBin,
        new URL("../helpers/seccomp_agent.c", import.meta.url).pathname,
      ],
    }).outputSync();
    assert(built.success, new TextDecoder().decode(built.stderr));
    const sock = socketPath(`agent-${Deno.pid}.sock`);
    const stateOut = `${WORK}/agent-${Deno.pid}.json`;
    try {
      Deno.removeSync(stateOut);
    } catch { /* fresh */ }
    const agent = new Deno.Command(agentBin, {
      args: [sock, stateOut, "4242"],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      await waitFor(() => {
        try {
          return Deno.statSync(sock).isSocket === true;
        } catch {
          return false;
        }
      });
      const id = uniqueId("ntf");
      const bundle = makeBundle(["/probe", `${NR.getppid}`, `${NR.getpid}`, "425,1,0"], (s) => {
        withProbe(s);
        s.annotations = { "org.example.test": "notify" };
        s.linux.seccomp = {
          defaultAction: "SCMP_ACT_ALLOW",
          listenerPath: sock,
          listenerMetadata: "moat-test-metadata",
          flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
          syscalls: [{ names: ["getppid"], action: "SCMP_ACT_NOTIFY" }],
        };
        s.process.noNewPrivileges = noNewPrivileges;
      });
      const r = await runBundle(bundle, id);
      assertEquals(r.stderr, "");
      const res = probeResults(r.stdout);
      assertEquals(res[`${NR.getppid}`], "4242", "the agent answered getppid");
      assertEquals(res[`${NR.getpid}`], "1", "other syscalls are not mediated");
      // moat's own filter still refuses the attack surface next to the agent's
      assertEquals(res["425,1,0"], "-1 errno 38", "io_uring_setup: ENOSYS from moat's filter");
      const st = JSON.parse(Deno.readTextFileSync(stateOut));
      assertEquals(st.fds, ["seccompFd"]);
      assertEquals(st.metadata, "moat-test-metadata");
      assert(Number.isInteger(st.pid) && st.pid > 1, `pid ${st.pid}`);
      assertEquals(st.state.id, id);
      assertEquals(st.state.pid, st.pid);
      assertEquals(st.state.bundle, bundle);
      assertEquals(st.state.annotations, { "org.example.test": "notify" });
      assertEquals(typeof st.ociVersion, "string");
      assertEquals(typeof st.state.status, "string");
    } finally {
      try {
        agent.kill("SIGKILL");
      } catch { /* exited */ }
      await agent.status;
      await agent.stderr.cancel();
    }
  }
}

Deno.test({
  name: "seccomp: exec'd processes get the container's filter",
  ...root,
  async fn() {
    const id = uniqueId("scx");
    const bundle = makeBundle(["sleep", "30"], (s) => {
      withProbe(s);
      s.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{ names: ["getppid"], action: "SCMP_ACT_ERRNO", errnoRet: 42 }],
      };
    });
    const out = `${WORK}/${id}.out`;
    try {
      assertEquals((await moatToFile(["run", "-d", "--bundle", bundle, id], out)).code, 0);
      const r = await moat(["exec", id, "/probe", `${NR.getppid}`, `${NR.getpid}`]);
      assertEquals(r.stderr, "");
      const res = probeResults(r.stdout);
      assertEquals(res[`${NR.getppid}`], errno(42), "the rule applies in exec");
      assert(isSuccess(res[`${NR.getpid}`]));
      assertEquals(r.code, 0);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});
