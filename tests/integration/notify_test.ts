// The sentry's seccomp notification module against the real kernel: the harness
// (tests/helpers/notify_harness.c) runs a workload under a NEW_LISTENER filter in a private
// network namespace and serves it with sentry/notify*.c; a peer process counts what reaches
// each listener (127.0.0.1/.2/.3, ::1, unix sockets).
import { assert, assertEquals } from "../helpers/assert.ts";
import { isRoot } from "../helpers/bundle.ts";
import { type HarnessRun, pick, runHarness } from "../helpers/notify_harness.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

let probes: Promise<HarnessRun> | undefined;
/** The probes run once and is shared by the tests that read it. */
async function probeRun(): Promise<HarnessRun> {
  const r = await (probes ??= runHarness(["probes"]));
  assertEquals(r.stderr, "");
  assertEquals(r.res["workload.status"], "0");
  assertEquals(r.code, 0);
  return r;
}

Deno.test({
  name:
    "notify: uname is the container's (hostname, domainname) with the policy's release and version",
  ...root,
  async fn() {
    const { res } = await probeRun();
    assertEquals(
      pick(res, [
        "uname",
        "uname.sysname",
        "uname.nodename",
        "uname.release",
        "uname.version",
        "uname.machine",
        "uname.domainname",
        "uname.i386",
        "uname.i386.release",
        "uname.i386.nodename",
      ]),
      {
        "uname": "0",
        "uname.sysname": "Linux",
        "uname.nodename": "nfy-child",
        "uname.release": "5.15.0-moat",
        "uname.version": "#1 SMP moat",
        "uname.machine": "x86_64",
        "uname.domainname": "nfy-domain",
        "uname.i386": "0",
        "uname.i386.release": "5.15.0-moat",
        "uname.i386.nodename": "nfy-child",
      },
    );
    // process_vm_writev honours page protections like copy_to_user: no write into a
    // read-only page, no write to a bad pointer
    assertEquals(res["uname.badptr"], "EFAULT");
    assertEquals(res["uname.readonly"], "EFAULT");
  },
});

Deno.test({
  name:
    "notify: sysinfo writes the callback's values in the kernel's 112-byte struct (canary intact); i386 gets the 64-byte compat struct, scaled",
  ...root,
  async fn() {
    const { res } = await probeRun();
    assertEquals(
      pick(res, [
        "sysinfo",
        "sysinfo.uptime",
        "sysinfo.loads",
        "sysinfo.totalram",
        "sysinfo.freeram",
        "sysinfo.procs",
        "sysinfo.mem_unit",
        "sysinfo.canary",
        "sysinfo.i386",
        "sysinfo.i386.totalram_bytes",
        "sysinfo.i386.mem_unit",
        "sysinfo.i386.procs",
        "sysinfo.i386.uptime",
        "sysinfo.i386.canary",
      ]),
      {
        "sysinfo": "0",
        "sysinfo.uptime": "4242",
        "sysinfo.loads": "65536 131072 196608",
        "sysinfo.totalram": String(8 * 2 ** 30),
        "sysinfo.freeram": String(6 * 2 ** 30),
        "sysinfo.procs": "7",
        "sysinfo.mem_unit": "1",
        "sysinfo.canary": "intact",
        "sysinfo.i386": "0",
        // 8 GiB does not fit 32 bits: the kernel's compat rule raises mem_unit to a page
        "sysinfo.i386.totalram_bytes": String(8 * 2 ** 30),
        "sysinfo.i386.mem_unit": "4096",
        "sysinfo.i386.procs": "7",
        "sysinfo.i386.uptime": "4242",
        "sysinfo.i386.canary": "intact",
      },
    );
  },
});

Deno.test({
  name:
    "notify: connect is decided on the copied address and performed on the workload's socket (IPv4, IPv6, v4-mapped, ports, precedence)",
  ...root,
  async fn() {
    const { res } = await probeRun();
    assertEquals(
      pick(res, [
        "connect.allowed",
        "connect.allowed.echo",
        "connect.denied_addr",
        "connect.denied_port",
        "connect.port_allow",
        "connect.port_allow.echo",
        "connect.any_addr",
        "connect.mapped_rule",
        "connect.metadata",
        "connect.unrouted",
        "connect.mapped_denied",
        "connect.mapped_allowed",
        "connect.mapped_allowed.echo",
        "connect.v6_allowed",
        "connect.v6_allowed.echo",
        "connect.v6_denied",
        "connect.v6_longer_allow",
        "connect.metadata6",
        "connect.udp_denied",
      ]),
      {
        "connect.allowed": "0",
        "connect.allowed.echo": "echo:ping", // data flows over the workload's own fd
        "connect.denied_addr": "ECONNREFUSED", // 127.0.0.2/32
        "connect.denied_port": "ECONNREFUSED", // 127.0.0.0/8:7002
        "connect.port_allow": "0", // allow 127.0.0.2/32:7003 beats deny 127.0.0.2/32
        "connect.port_allow.echo": "echo:ping",
        "connect.any_addr": "ECONNREFUSED", // 0.0.0.0:7002 is loopback:7002
        "connect.mapped_rule": "ECONNREFUSED", // deny ::ffff:127.0.0.3/128 is 127.0.0.3/32
        "connect.metadata": "ECONNREFUSED",
        "connect.unrouted": "ENETUNREACH", // allowed, performed: no route in the namespace
        "connect.mapped_denied": "ECONNREFUSED", // ::ffff:127.0.0.2 on an IPv6 socket
        "connect.mapped_allowed": "0",
        "connect.mapped_allowed.echo": "echo:ping",
        "connect.v6_allowed": "0",
        "connect.v6_allowed.echo": "echo:ping",
        "connect.v6_denied": "ECONNREFUSED", // 2001:db8::/32
        "connect.v6_longer_allow": "ENETUNREACH", // allow 2001:db8:1::/48 is longer: performed
        "connect.metadata6": "ECONNREFUSED", // fd00:ec2::254/128
        "connect.udp_denied": "ECONNREFUSED",
      },
    );
    // listeners stood behind every refused address: nothing reached them
    assertEquals(
      pick(res, [
        "peer.d1.accepts",
        "peer.p2.accepts",
        "peer.d3.accepts",
        "peer.a1.accepts",
        "peer.a3.accepts",
        "peer.v6.accepts",
      ]),
      {
        "peer.d1.accepts": "0",
        "peer.p2.accepts": "0",
        "peer.d3.accepts": "0",
        "peer.a1.accepts": "4", // allowed, mapped_allowed, nonblock, flags_after
        "peer.a3.accepts": "1",
        "peer.v6.accepts": "1",
      },
    );
  },
});

Deno.test({
  name:
    "notify: non-blocking connect keeps EINPROGRESS; a held blocking connect leaves the socket blocking; unix sockets are the workload's own",
  ...root,
  async fn() {
    const { res } = await probeRun();
    assertEquals(res["connect.nonblock"], "EINPROGRESS");
    assertEquals(res["connect.nonblock.so_error"], "0");
    assertEquals(res["connect.nonblock_denied"], "ECONNREFUSED");
    assertEquals(res["connect.flags_after"], "blocking");
    assertEquals(res["connect.unix"], "0");
    assertEquals(res["connect.unix.echo"], "echo:ping");
    // SO_PEERCRED names the workload, not the server: the kernel ran this connect (CONTINUE)
    const hostPid = res["workload.nstgid"].split(" ")[0];
    assertEquals(res["peer.un.pid"], hostPid);
    assertEquals(res["workload.nstgid"].split(" ")[1], "1", "the workload is pid 1 of its own");
  },
});

Deno.test({
  name:
    "notify: sendto/sendmsg/sendmmsg with an address are decided; control data is carried only when harmless; unix SCM_RIGHTS passes",
  ...root,
  async fn() {
    const { res } = await probeRun();
    assertEquals(
      pick(res, [
        "sendto.allowed",
        "sendto.denied",
        "sendto.mapped_denied",
        "sendmsg.allowed",
        "sendmsg.denied",
        "sendmsg.tos",
        "sendmsg.rights_udp",
        "sendmsg.connected",
        "send.connected",
        "sendmmsg.allowed",
        "sendmmsg.len0",
        "sendmmsg.len1",
        "sendmmsg.denied",
        "sendmsg.unix_rights",
      ]),
      {
        "sendto.allowed": "9",
        "sendto.denied": "EPERM",
        "sendto.mapped_denied": "EPERM",
        "sendmsg.allowed": "9", // two iovecs, one datagram
        "sendmsg.denied": "EPERM",
        "sendmsg.tos": "5", // IP_TOS is carried
        "sendmsg.rights_udp": "EPERM", // SCM_RIGHTS would be the server's fds: refused
        "sendmsg.connected": "11", // no address: performed all the same, never CONTINUE
        "send.connected": "1",
        "sendmmsg.allowed": "1", // the first message only, a valid short count
        "sendmmsg.len0": "8", // msg_len written back
        "sendmmsg.len1": "77", // the second entry untouched
        "sendmmsg.denied": "EPERM",
        "sendmsg.unix_rights": "4",
      },
    );
    assertEquals(res["peer.u1.got"], "u-allowed,m-allowed,m-tos,m-connected,x,mm-first");
    assertEquals(res["peer.ud.datagrams"], "0");
    assertEquals(res["peer.ux.got"], "unix+fd:fdok");
  },
});

Deno.test({
  name:
    "notify: other ABIs, unknown calls and bad arguments are refused with an errno, never let through",
  ...root,
  async fn() {
    const { res } = await probeRun();
    assertEquals(
      pick(res, [
        "uname.x32",
        "unknown.getcwd",
        "i386.socketcall_connect",
        "i386.connect",
        "connect.short_len",
        "connect.long_len",
        "connect.badptr",
        "connect.family",
        "connect.badfd",
        "connect.notsock",
        "sendto.badptr",
        "sendmsg.badptr",
      ]),
      {
        "uname.x32": "ENOSYS",
        "unknown.getcwd": "ENOSYS",
        "i386.socketcall_connect": "ENOSYS",
        "i386.connect": "ENOSYS",
        "connect.short_len": "EINVAL",
        "connect.long_len": "EINVAL",
        "connect.badptr": "EFAULT",
        "connect.family": "EAFNOSUPPORT",
        "connect.badfd": "EBADF",
        "connect.notsock": "ENOTSOCK",
        "sendto.badptr": "EFAULT",
        "sendmsg.badptr": "EFAULT",
      },
    );
    assertEquals(res["server.sync_wakeup"], "1", "Linux >= 6.6 takes SYNC_WAKE_UP");
  },
});

Deno.test({
  name:
    "notify: a thread rewriting the sockaddr during 1000 connects never reaches the denied address",
  ...root,
  async fn() {
    const r = await runHarness(["race"]);
    assertEquals(r.stderr, "");
    assertEquals(r.res["workload.status"], "0");
    assertEquals(r.res["race.tries"], "1000");
    assertEquals(r.res["race.other"], "0");
    assertEquals(r.res["race.reached_denied"], "0");
    assertEquals(r.res["peer.d1.accepts"], "0");
    const ok = Number(r.res["race.connected"]), refused = Number(r.res["race.refused"]);
    assertEquals(ok + refused, 1000);
    // both addresses were seen by the check: the rewriting really overlapped the calls
    assert(ok > 0 && refused > 0, `connected ${ok}, refused ${refused}`);
    assertEquals(r.res["peer.a1.accepts"], String(ok));
  },
});

Deno.test({
  name: "notify: the race test catches a server that checks and answers CONTINUE",
  ...root,
  async fn() {
    // the harness's naive server reads the address, decides, and lets the kernel read it
    // again; the workload stops at the first connection that reached 127.0.0.2
    const r = await runHarness(["race", "continue"]);
    assertEquals(r.res["workload.status"], "0");
    assertEquals(r.res["race.reached_denied"], "1");
    assertEquals(r.res["peer.d1.accepts"], "1");
  },
});

Deno.test({
  name:
    "notify: a held blocking connect does not stall another process's calls; SO_SNDTIMEO ends it with EINPROGRESS",
  ...root,
  async fn() {
    const r = await runHarness(["slow"]);
    assertEquals(r.stderr, "");
    assertEquals(
      pick(r.res, [
        "slow.other_unames",
        "slow.connect",
        "slow.connect_ms_over_900",
        "slow.others_done_first",
        "slow.flags_after",
        "slow.sndtimeo",
        "slow.sndtimeo_window",
        "server.held",
        "workload.status",
      ]),
      {
        "slow.other_unames": "200",
        "slow.connect": "0", // completed once the listener drained (SYN retried after 1 s)
        "slow.connect_ms_over_900": "yes",
        "slow.others_done_first": "yes", // 200 unames answered while the connect was held
        "slow.flags_after": "blocking",
        "slow.sndtimeo": "EINPROGRESS",
        "slow.sndtimeo_window": "yes",
        "server.held": "2",
        "workload.status": "0",
      },
    );
    // a stalled loop would make the first uname wait for the connect (>= 900 ms)
    assert(Number(r.res["slow.other_worst_ms"]) < 500, r.res["slow.other_worst_ms"]);
  },
});

Deno.test({
  name:
    "notify: when the server is killed every mediated call fails with ENOSYS, held ones too; others still work",
  ...root,
  async fn() {
    const r = await runHarness(["failclosed"]);
    assertEquals(r.stderr, "");
    assertEquals(
      pick(r.res, [
        "failclosed.before",
        "failclosed.before.release",
        "failclosed.server",
        "failclosed.held_connect",
        "failclosed.uname_after",
        "failclosed.connect_after",
        "failclosed.getppid",
        "workload.status",
      ]),
      {
        "failclosed.before": "0",
        "failclosed.before.release": "5.15.0-moat",
        "failclosed.server": "killed",
        // the kernel answers what the dead listener held, and every later notification,
        // with ENOSYS: a mediated call is never let through without its server
        "failclosed.held_connect": "ENOSYS",
        "failclosed.uname_after": "ENOSYS",
        "failclosed.connect_after": "ENOSYS",
        "failclosed.getppid": "ok",
        "workload.status": "0",
      },
    );
    assertEquals(r.res["peer.full.accepts"], "0");
  },
});

interface TraceLine {
  time: string;
  [key: string]: unknown;
}

async function traceRun(families: string) {
  const dir = await Deno.makeTempDir({ prefix: "moat-notify-" });
  try {
    const file = `${dir}/trace.jsonl`;
    const r = await runHarness(["trace", file, families]);
    assertEquals(r.stderr, "");
    assertEquals(r.res["workload.status"], "0");
    const text = await Deno.readTextFile(file);
    assert(text.endsWith("\n"));
    const lines: TraceLine[] = text.trimEnd().split("\n").map((l) => JSON.parse(l));
    for (const l of lines) {
      assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(l.time), l.time);
      assert(Math.abs(Date.parse(l.time) - Date.now()) < 600_000, l.time);
    }
    return { r, lines: lines.map(({ time: _, ...rest }) => rest) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "notify trace: one exact JSON line per event (exec, open-write, setuid, mount, ptrace, bind, connect)",
  ...root,
  async fn() {
    const { r, lines } = await traceRun("all");
    const [host, inner] = r.res["workload.nstgid"].split(" ").map(Number);
    const [execHost, execInner] = r.res["noop.nstgid"].split(" ").map(Number);
    const dirfd = Number(r.res["trace.dirfd"]);
    const unixName = r.res["trace.unix_name"];
    assertEquals(inner, 1);
    assertEquals(execInner, 2);
    const w = { id: 'ctr-"1"', hostPid: host, containerPid: 1 };
    const allow = { decision: "allow" }, deny = { decision: "deny" };
    assertEquals(lines, [
      {
        id: 'ctr-"1"',
        hostPid: execHost,
        containerPid: 2,
        event: "exec",
        call: "execve",
        path: "/proc/self/exe",
        argv: ["notify_harness", "noop", 'q"uote', "\udcff\udcfe-raw", "tab\t"],
        ...allow,
      },
      {
        ...w,
        event: "open-write",
        call: "open",
        path: "w1",
        flags: "O_WRONLY|O_CREAT|O_TRUNC",
        mode: "0640",
        ...allow,
      },
      { ...w, event: "open-write", call: "openat", path: "w1", flags: "O_RDWR|O_APPEND", ...allow },
      {
        ...w,
        event: "open-write",
        call: "openat",
        path: "w2",
        dirfd,
        flags: "O_WRONLY|O_CREAT|O_EXCL",
        mode: "0600",
        ...allow,
      },
      // openat2 is notified for every open: the O_RDONLY one is no event
      {
        ...w,
        event: "open-write",
        call: "openat2",
        path: "w3",
        flags: "O_WRONLY|O_CREAT",
        mode: "0600",
        ...allow,
      },
      {
        ...w,
        event: "open-write",
        call: "creat",
        path: "w4",
        flags: "O_WRONLY|O_CREAT|O_TRUNC",
        mode: "0644",
        ...allow,
      },
      {
        ...w,
        event: "open-write",
        call: "open",
        path: 'we"ird\\\n\udcff',
        flags: "O_WRONLY|O_CREAT",
        mode: "0600",
        ...allow,
      },
      { ...w, event: "setuid", call: "setresuid", ids: [-1, -1, -1], ...allow },
      { ...w, event: "setuid", call: "setgroups", ids: [0, 1], ...allow },
      {
        ...w,
        event: "mount",
        call: "mount",
        source: "none",
        target: "/nonexistent-moat",
        fstype: "tmpfs",
        flags: 1,
        ...allow,
      },
      { ...w, event: "mount", call: "umount2", target: "/nonexistent-moat", flags: 2, ...allow },
      { ...w, event: "ptrace", call: "ptrace", request: 2, pid: 99999, ...allow },
      { ...w, event: "bind", call: "bind", address: "127.0.0.1:7300", ...allow },
      { ...w, event: "connect", call: "sendto", address: "127.0.0.2:7101", ...deny },
      { ...w, event: "connect", call: "connect", address: "127.0.0.1:7001", ...allow },
      { ...w, event: "connect", call: "connect", address: "127.0.0.2:7001", ...deny },
      { ...w, event: "connect", call: "connect", address: `unix:@${unixName}`, ...allow },
    ]);
    // the observed calls ran as the kernel runs them (CONTINUE)
    assertEquals(r.res["exec.status"], "0");
    assertEquals(r.res["trace.mount"], "ENOENT");
    assertEquals(r.res["trace.ptrace"], "ESRCH");
  },
});

Deno.test({
  name: "notify trace: 'denied' alone writes only the refused calls",
  ...root,
  async fn() {
    const { r, lines } = await traceRun("denied");
    const host = Number(r.res["workload.nstgid"].split(" ")[0]);
    const w = { id: 'ctr-"1"', hostPid: host, containerPid: 1, event: "connect" };
    assertEquals(lines, [
      { ...w, call: "sendto", address: "127.0.0.2:7101", decision: "deny" },
      { ...w, call: "connect", address: "127.0.0.2:7001", decision: "deny" },
    ]);
  },
});

Deno.test({
  name: "notify bench: every measure is printed (costs are reported, not asserted)",
  ...root,
  async fn() {
    const r = await runHarness(["bench", "2000"]);
    assertEquals(r.stderr, "");
    assertEquals(r.res["workload.status"], "0");
    for (
      const k of [
        "getppid_bare_us",
        "getppid_filtered_us",
        "uname_bare_us",
        "uname_mediated_us",
        "connect_bare_us",
        "connect_mediated_us",
        "sendmsg_udp_bare_us",
        "sendmsg_udp_mediated_us",
        "sendmsg_unix_bare_us",
        "sendmsg_unix_continued_us",
      ]
    ) {
      const v = Number(r.res[`bench.${k}`]);
      assert(v > 0 && v < 100_000, `${k} = ${r.res[`bench.${k}`]}`);
    }
    // a mediated uname is a round trip through the server: never as cheap as the call
    assert(Number(r.res["bench.uname_mediated_us"]) > Number(r.res["bench.uname_bare_us"]));
  },
});
