// The sandbox (issue 10, DESIGN §4): moat's attack-surface filter on every container whatever
// its linux.seccomp, the views it virtualises, the egress policy, the live trace, fail-closed
// mediation, exec'd processes under the same, and an engine's own notify agent.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { socketPath } from "../helpers/run_dir.ts";
import { isRoot, type SpecObject, uniqueId, WORK } from "../helpers/bundle.ts";
import {
  assertCreateRefused,
  moat,
  moatToFile,
  processesMentioning,
  ROOT,
  runBundle,
  waitFor,
} from "../helpers/moat.ts";
import { probeResults } from "../helpers/probe.ts";
import { loopback, sandboxBundle } from "../helpers/sandbox.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };
const errno = (n: number) => `-1 errno ${n}`;

function allowAll(s: SpecObject) {
  s.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW" };
}

// x86_64 numbers of refused calls, and what the surface filter answers
const SURFACE: Array<[string, string, number]> = [
  ["io_uring_setup", "425,1,0", 38],
  ["io_uring_enter", "426,0,0,0,0,0", 38],
  ["bpf", "321,0,0,0", 1],
  ["perf_event_open", "298,0,0,0,0,0", 1],
  ["userfaultfd", "323,0", 1],
  ["keyctl", "250,0,0", 1],
  ["add_key", "248,0,0,0,0,0", 1],
  ["kexec_load", "246,0,0,0,0", 1],
  ["init_module", "175,0,0,0", 1],
  ["open_by_handle_at", "304,0,0,0", 1],
  ["name_to_handle_at", "303,0,0,0,0,0", 1],
  ["unshare(CLONE_NEWUSER)", "272,0x10000000", 1],
  ["clone(CLONE_NEWNET)", "56,0x40000011,0,0,0,0", 1],
  ["clone3", "435,0,0", 38],
  ["mount", "165,0,0,0,0,0", 1],
  ["setns", "308,0,0", 1],
];

Deno.test({
  name: "sandbox: the surface filter refuses the CVE-heavy calls whatever linux.seccomp allows",
  ...root,
  async fn() {
    // an engine profile that allows everything, and moat's default (Docker-like) profile
    for (const profile of ["allow-all", "default"]) {
      const r = await runBundle(
        sandboxBundle(["/probe", ...SURFACE.map(([, call]) => call)], {}, (s) => {
          if (profile === "allow-all") allowAll(s);
        }),
        uniqueId("surf"),
      );
      assertEquals(r.code, 0, r.stderr);
      const res = probeResults(r.stdout);
      for (const [name, call, e] of SURFACE) {
        assertEquals(res[call], errno(e), `${profile}: ${name}`);
      }
    }
    // dev.moat.surface=off: the engine's profile alone decides (allow-all: the calls run)
    const off = await runBundle(
      sandboxBundle(["/probe", "425,1,0"], { "dev.moat.surface": "off" }, allowAll),
      uniqueId("surf"),
    );
    assertEquals(
      probeResults(off.stdout)["425,1,0"],
      errno(14),
      "io_uring_setup reached the kernel",
    );
  },
});

Deno.test({
  name: "sandbox: mount and namespaces are refused only where the capabilities do not allow them",
  ...root,
  async fn() {
    const tmpfs = "mkdir -p /m && mount -t tmpfs t /m && echo mounted";
    const plain = await runBundle(
      sandboxBundle(["sh", "-c", `${tmpfs}; unshare -n true; echo u=$?`]),
      uniqueId("cap"),
    );
    assertStringIncludes(plain.stdout, "u=1");
    assert(!plain.stdout.includes("mounted"), plain.stdout);
    const priv = await runBundle(
      sandboxBundle(["sh", "-c", `${tmpfs}; unshare -n true; echo u=$?`], {}, (s) => {
        s.process.capabilities.bounding.push("CAP_SYS_ADMIN");
        s.process.capabilities.effective.push("CAP_SYS_ADMIN");
        s.process.capabilities.permitted.push("CAP_SYS_ADMIN");
        s.linux.readonlyPaths = [];
        s.root.readonly = false;
      }),
      uniqueId("cap"),
    );
    assertStringIncludes(priv.stdout, "mounted");
    assertStringIncludes(priv.stdout, "u=0");
  },
});

Deno.test({
  name: "sandbox: 64 MiB and one CPU: free, meminfo, nproc, cpu/online, sysinfo, uptime, uname",
  ...root,
  async fn() {
    const script = [
      "free | sed -n 2p",
      "grep MemTotal /proc/meminfo",
      "nproc",
      "cat /sys/devices/system/cpu/online",
      "grep -c ^processor /proc/cpuinfo",
      "grep -c '^cpu[0-9]' /proc/stat",
      "cut -d' ' -f1 /proc/uptime",
      "/sbox sysinfo",
      "uname -r",
      "cat /proc/swaps | wc -l",
    ].join("; ");
    const limits = (s: SpecObject) => {
      s.linux.resources = {
        memory: { limit: 64 * 1024 * 1024 },
        cpu: { quota: 100000, period: 100000 },
      };
    };
    const r = await runBundle(
      sandboxBundle(["sh", "-c", script], { "dev.moat.uname.release": "5.10.0-moat" }, limits),
      uniqueId("virt"),
    );
    assertEquals(r.code, 0, r.stderr);
    const l = r.stdout.trim().split("\n");
    assertEquals(l[0].trim().split(/\s+/)[1], "65536", `free: ${l[0]}`);
    assertEquals(l[1].replace(/\s+/g, " "), "MemTotal: 65536 kB");
    assertEquals(l[2], "1", "nproc (sched_getaffinity)");
    assertEquals(l[3], "0", "cpu/online");
    assertEquals(l[4], "1", "processors in cpuinfo");
    assertEquals(l[5], "1", "cpu lines in /proc/stat");
    assert(Number(l[6]) < 30, `uptime counts from the container's start: ${l[6]}`);
    const si = Object.fromEntries(l[7].split(" ").map((kv) => kv.split("=")));
    assertEquals(Number(si.totalram) * Number(si.mem_unit), 64 * 1024 * 1024, l[7]);
    assertEquals(si.canary, "ok", "only the kernel's 112 bytes were written");
    assert(Number(si.procs) >= 1 && Number(si.procs) < 10, l[7]);
    assertEquals(l[8], "5.10.0-moat");
    // off: the host's view
    const host = await runBundle(
      sandboxBundle(["sh", "-c", "grep MemTotal /proc/meminfo; uname -r"], {
        "dev.moat.virtualize": "off",
      }, limits),
      uniqueId("virt"),
    );
    const hostMem = Deno.readTextFileSync("/proc/meminfo").split("\n")[0].replace(/\s+/g, " ");
    assertEquals(host.stdout.split("\n")[0].replace(/\s+/g, " "), hostMem);
    assertEquals(host.stdout.split("\n")[1], Deno.osRelease());
  },
});

Deno.test({
  name: "sandbox: egress: metadata denied by default, CIDR and port rules, default deny, UDP",
  ...root,
  async fn() {
    const run = async (script: string, ann: Record<string, string>) => {
      const r = await runBundle(
        sandboxBundle(["sh", "-c", script], ann, loopback),
        uniqueId("egress"),
      );
      assertEquals(r.code, 0, r.stderr);
      return r.stdout.trim().split("\n");
    };
    // no route to anywhere in its own network namespace: a refusal is ECONNREFUSED (111) from
    // the sentry, an allowed call reaches the kernel (ENETUNREACH 101 here, or a real answer)
    const meta = await run(
      "ip link set lo up 2>/dev/null; /sbox connect 169.254.169.254 80; /sbox connect 10.1.2.3 80; /sbox connect 169.254.169.254 80 nonblock; /sbox udp 169.254.169.254 53",
      {},
    );
    assertEquals(meta[0], "errno 111", "the metadata address is denied by default");
    assertEquals(meta[1], "errno 101", "another address goes to the kernel");
    assertEquals(meta[2], "errno 111", "non-blocking: refused the same way");
    assertEquals(meta[3], "errno 1", "sendto a denied address: EPERM");
    // listeners on ports 9 and 22: a sentry refusal (111) is then told from a made connection
    const serve = "ip link set lo up; for p in 9 22; do nc -l -p $p -e true & done; sleep 0.3; " +
      "/sbox connect 127.0.0.1 9; /sbox connect 127.0.0.1 22";
    assertEquals(
      await run(serve, {
        "dev.moat.egress.default": "deny",
        "dev.moat.egress.allow": "127.0.0.1/32:9",
      }),
      ["ok", "errno 111"],
      "default deny, one address and port allowed",
    );
    assertEquals(
      await run(serve, { "dev.moat.egress.deny": "127.0.0.0/8:22" }),
      ["ok", "errno 111"],
      "default allow, a CIDR and port denied",
    );
  },
});

Deno.test({
  name: "sandbox: egress race: a thread rewriting the sockaddr never reaches the denied address",
  ...root,
  async fn() {
    const r = await runBundle(
      sandboxBundle(["sh", "-c", "ip link set lo up; /sbox race 127.0.0.1 127.0.0.2 7777 1000"], {
        "dev.moat.egress.deny": "127.0.0.2/32",
      }, loopback),
      uniqueId("race"),
    );
    assertEquals(r.code, 0, r.stderr);
    const m = Object.fromEntries(r.stdout.trim().split(" ").map((kv) => kv.split("=")));
    assertEquals(m.reached_b, "0", r.stdout);
    assert(Number(m.connected) > 0 && Number(m.refused) > 0, `both were tried: ${r.stdout}`);
    assertEquals(Number(m.connected) + Number(m.refused) + Number(m.other), 1000);
  },
});

Deno.test({
  name: "sandbox: moat trace streams the exact events; trace.file gets the same lines",
  ...root,
  async fn() {
    const id = uniqueId("trace");
    const file = `${WORK}/${id}.jsonl`;
    const bundle = sandboxBundle(
      ["sh", "-c", "sleep 1; /sbox connect 169.254.169.254 80; echo x > /tmp/f; sleep 1"],
      { "dev.moat.trace": "exec,connect,open-write", "dev.moat.trace.file": file },
      (s) => (s.root.readonly = false),
    );
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    assertEquals((await moat(["start", id])).code, 0);
    const live = await moat(["trace", id]);
    assertEquals(live.code, 0, live.stderr);
    const events = live.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const st = JSON.parse((await moat(["state", id])).stdout);
    assertEquals(st.status, "stopped", "trace ends when the container ends");
    const connect = events.find((e) => e.event === "connect");
    assertEquals(Object.keys(connect), [
      "time",
      "id",
      "hostPid",
      "containerPid",
      "event",
      "call",
      "address",
      "decision",
    ]);
    assertEquals([connect.id, connect.call, connect.address, connect.decision], [
      id,
      "connect",
      "169.254.169.254:80",
      "deny",
    ]);
    assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(connect.time), connect.time);
    assert(connect.hostPid > 1 && connect.containerPid > 1);
    const exec = events.find((e) => e.event === "exec" && e.argv?.[0] === "/sbox");
    assertEquals(exec.argv, ["/sbox", "connect", "169.254.169.254", "80"]);
    const write = events.find((e) => e.event === "open-write");
    assertEquals([write.path, write.flags], ["/tmp/f", "O_WRONLY|O_CREAT|O_TRUNC"]);
    assert(!events.some((e) => e.event === "setuid"), "only the families asked for");
    const fileLines = Deno.readTextFileSync(file).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(fileLines.filter((e) => e.event === "connect"), [connect]);
    assertEquals((await moat(["delete", id])).code, 0);
  },
});

Deno.test({
  name: "sandbox: fail closed: with the sentry killed, mediated calls fail (ENOSYS), never pass",
  ...root,
  async fn() {
    const id = uniqueId("failclosed");
    const out = `${WORK}/${id}.out`;
    const bundle = sandboxBundle(
      [
        "sh",
        "-c",
        `while :; do /probe 63,0 >> /w/${id}.out; /sbox connect 127.0.0.1 9 >> /w/${id}.out; sleep 0.1; done`,
      ],
      {},
      (s) => s.mounts.push({ destination: "/w", type: "bind", source: WORK, options: ["rbind"] }),
    );
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/o`);
    assertEquals(c.code, 0, c.stderr);
    assertEquals((await moat(["start", id])).code, 0);
    try {
      await waitFor(() => exists(out) && Deno.readTextFileSync(out).includes("63,0"));
      // before: uname(NULL) answered by the sentry (EFAULT writing to NULL)
      assertStringIncludes(Deno.readTextFileSync(out), `63,0 = ${errno(14)}`);
      const rec = JSON.parse(Deno.readTextFileSync(`${ROOT}/${id}/state.json`));
      Deno.kill(rec.sentryPid, "SIGKILL");
      const mark = Deno.readTextFileSync(out).length;
      await waitFor(() => Deno.readTextFileSync(out).slice(mark).split("\n").length > 6);
      const after = Deno.readTextFileSync(out).slice(mark).split("\n").filter(Boolean);
      const tail = after.slice(2); // a line or two may have been in flight
      assert(tail.includes(`63,0 = ${errno(38)}`), after.join(" | "));
      assert(tail.includes("errno 38"), `connect is refused too: ${after.join(" | ")}`);
      assert(!tail.includes("ok"), "nothing mediated passes");
    } finally {
      await moat(["delete", "--force", id]);
    }
    assertEquals(processesMentioning(id), []);
  },
});

Deno.test({
  name: "sandbox: exec'd processes get the same filter, views, egress and trace",
  ...root,
  async fn() {
    const id = uniqueId("execsb");
    const bundle = sandboxBundle(["sleep", "60"], { "dev.moat.trace": "connect" }, (s) => {
      s.linux.resources = { memory: { limit: 64 * 1024 * 1024 } };
      s.root.readonly = false;
    });
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    assertEquals((await moat(["start", id])).code, 0);
    try {
      const e = await moat([
        "exec",
        id,
        "sh",
        "-c",
        "/sbox sysinfo; /sbox connect 169.254.169.254 80; /probe 425,1,0",
      ]);
      assertEquals(e.code, 0, e.stderr);
      const [si, conn, uring] = e.stdout.trim().split("\n");
      assertStringIncludes(si, `totalram=${64 * 1024 * 1024}`);
      assertEquals(conn, "errno 111");
      assertEquals(uring, `425,1,0 = ${errno(38)}`);
      // a detached exec that outlives its exec: still mediated (the container's sentry took its
      // listener over)
      const d = await moat([
        "exec",
        "-d",
        id,
        "sh",
        "-c",
        "sleep 1; /sbox connect 169.254.169.254 80 > /tmp/late",
      ]);
      assertEquals(d.code, 0, d.stderr);
      await waitFor(
        async () => (await moat(["exec", id, "cat", "/tmp/late"])).stdout !== "",
        10_000,
      );
      assertEquals((await moat(["exec", id, "cat", "/tmp/late"])).stdout, "errno 111\n");
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "sandbox: state shows the policy in force; features lists the keys; bad values refused",
  ...root,
  async fn() {
    const id = uniqueId("state");
    const bundle = sandboxBundle(["sleep", "60"], {
      "dev.moat.egress.default": "deny",
      "dev.moat.egress.allow": "10.0.0.0/8:443, fd00::/8",
    });
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    const st = JSON.parse((await moat(["state", id])).stdout);
    assertEquals(st.sandbox.egress, {
      default: "deny",
      allow: ["10.0.0.0/8:443", "fd00::/8"],
      deny: ["169.254.169.254/32", "fd00:ec2::254/128"],
    });
    assertEquals(st.sandbox.surface, "default");
    for (const call of ["connect", "sysinfo", "uname"]) {
      assert(st.sandbox.mediated.includes(call), call);
    }
    assert(st.sandbox.refused.includes("io_uring_setup"));
    await moat(["delete", "--force", id]);
    const f = JSON.parse((await moat(["features"])).stdout);
    for (
      const key of [
        "dev.moat.surface",
        "dev.moat.virtualize",
        "dev.moat.uname.release",
        "dev.moat.uname.version",
        "dev.moat.egress.default",
        "dev.moat.egress.allow",
        "dev.moat.egress.deny",
        "dev.moat.trace",
        "dev.moat.trace.file",
      ]
    ) assert(key in f.annotations, key);
    assertEquals(f["dev.moat.sandbox"].mediation, true);
    await assertCreateRefused([
      [
        (s) => (s.annotations = { "dev.moat.surface": "strict" }),
        'annotation dev.moat.surface: invalid value "strict"',
      ],
      [
        (s) => (s.annotations = { "dev.moat.egress.deny": "10.0.0.0/33" }),
        'annotation dev.moat.egress.deny: invalid CIDR "10.0.0.0/33"',
      ],
      [(s) => (s.annotations = { "dev.moat.trace": "exec,files" }), 'unknown event family "files"'],
    ]);
  },
});

Deno.test({
  name: "sandbox: with an engine's notify agent (listenerPath) moat mediates nothing, says so",
  ...root,
  async fn() {
    const id = uniqueId("agent");
    const bundle = sandboxBundle(["sleep", "60"], {}, (s) => {
      s.linux.seccomp = {
        defaultAction: "SCMP_ACT_ALLOW",
        listenerPath: socketPath(`agent-${id}.sock`),
        syscalls: [{ names: ["getppid"], action: "SCMP_ACT_NOTIFY" }],
      };
    });
    // the agent is only needed at start: create shows what is in force
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    const st = JSON.parse((await moat(["state", id])).stdout);
    assertEquals(st.sandbox.mediated, []);
    assertStringIncludes(st.sandbox.note, "linux.seccomp.listenerPath");
    assert(st.sandbox.refused.includes("io_uring_setup"), "the surface filter still applies");
    await moat(["delete", "--force", id]);
  },
});

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "sandbox: the egress guard lets only the sentry connect the container's sockets",
  ...root,
  async fn() {
    const id = uniqueId("guard");
    const bundle = sandboxBundle(
      ["sleep", "60"],
      { "dev.moat.egress.deny": "127.0.0.2/32" },
      loopback,
    );
    const c = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
    assertEquals(c.code, 0, c.stderr);
    try {
      const st = JSON.parse((await moat(["state", id])).stdout);
      assertEquals(st.sandbox.egressGuard, true);
      const leaf = JSON.parse(Deno.readTextFileSync(`${ROOT}/${id}/state.json`)).cgroup.v2;
      // a process outside the sentry's mediation (no seccomp filter) that joins the container's
      // cgroup2 leaf: its sockets belong to the container, and their connect is refused in
      // the kernel (what a swapped fd after a CONTINUE would meet)
      const script = `echo $$ > ${leaf}/cgroup.procs && exec busybox nc -w1 127.0.0.1 1 </dev/null`;
      const r = new Deno.Command("sh", { args: ["-c", script], stderr: "piped" }).outputSync();
      assertStringIncludes(new TextDecoder().decode(r.stderr), "not permitted");
      // the container's own calls, performed by the sentry, still pass
      assertEquals((await moat(["start", id])).code, 0);
      const e = await moat([
        "exec",
        id,
        "sh",
        "-c",
        "ip link set lo up; nc -l -p 9 -e true & sleep 0.3; /sbox connect 127.0.0.1 9",
      ]);
      assertEquals(e.stdout.trim(), "ok", e.stderr);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});
