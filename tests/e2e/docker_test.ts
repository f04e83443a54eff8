// Docker 20.10 (Debian's docker.io) with bin/moat as its default runtime, through a private
// dockerd at Docker's default exec-root layout (tests/helpers/docker.ts): what a Docker user
// does, checked by output, exit codes and the host's view, and nothing left behind afterwards.
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "../helpers/assert.ts";
import { MOAT } from "../helpers/bundle.ts";
import { capture, Docker, dockerUnavailable, exists } from "../helpers/docker.ts";
import { IMAGE } from "../helpers/image.ts";

const unavailable = dockerUnavailable();
if (unavailable) console.log(`docker e2e tests skipped: ${unavailable}`);

const LOOP = "trap 'exit 0' TERM; while :; do sleep 0.1; done";

/** Host things a private dockerd must not create (they do not exist on a machine without one). */
function hostSnapshot(): Record<string, unknown> {
  const iptables = new Deno.Command("sh", {
    args: ["-c", "iptables-save 2>/dev/null; ip6tables-save 2>/dev/null"],
    stdout: "piped",
  }).outputSync();
  const rules = new TextDecoder().decode(iptables.stdout).split("\n")
    .filter((l) => /docker/i.test(l));
  const links = new TextDecoder().decode(
    new Deno.Command("ip", { args: ["-o", "link"], stdout: "piped" }).outputSync().stdout,
  ).split("\n").filter((l) => /docker/.test(l));
  const paths = ["/run/docker", "/run/docker.sock", "/var/lib/docker", "/etc/docker/key.json"]
    .filter(exists);
  return { rules, links, paths };
}

Deno.test({
  name: "docker: a private dockerd with moat as its default runtime",
  ignore: unavailable !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const before = hostSnapshot();
    const dk = new Docker();
    await dk.start();
    const docker = (...args: string[]) => dk.docker(args);
    /** `docker run --rm --network none IMAGE args…` (extra flags before the image). */
    const run = (flags: string[], ...args: string[]) =>
      dk.docker(["run", "--rm", "--network", "none", ...flags, IMAGE, ...args]);
    const detached = async (flags: string[], script = LOOP) => {
      const r = await dk.docker(["run", "-d", ...flags, IMAGE, "sh", "-c", script]);
      assertEquals(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const inspect = async (id: string, format: string) =>
      (await docker("inspect", "--format", format, id)).stdout.trim();
    const inTerminal = async (args: string[]) => {
      const r = await capture("script", ["-qec", dk.shellLine(args), "/dev/null"], {});
      return { code: r.code, out: r.stdout.replaceAll("\r", "") };
    };
    const moatState = async (id: string) => {
      const r = await capture(MOAT, ["--root", dk.stateRoot, "state", id], {});
      assertEquals(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    try {
      await t.step(
        "moat is the default runtime, at Docker's default exec-root layout",
        async () => {
          assertEquals(
            (await docker("info", "--format", "{{.DefaultRuntime}}")).stdout.trim(),
            "moat",
          );
          assert(dk.execRoot.length >= 20, dk.execRoot);
          // the first container of this dockerd creates the cgroup parent; the second shares it
          assertEquals(exists(`/sys/fs/cgroup/pids${dk.cgroupParent}`), false);
          const id = await detached(["--network", "none"]);
          const other = await detached(["--network", "none"]);
          try {
            assert(/^[0-9a-f]{64}$/.test(id), id);
            const stateDir = `${dk.stateRoot}/${id}`;
            assert(stateDir.length > 108 - "/sentry.sock".length, stateDir);
            assert(exists(`${stateDir}/state.json`), stateDir);
            const state = await moatState(id);
            assertEquals(state.status, "running");
            // the pid Docker reports is moat's init, a child of the shim (Docker's subreaper)
            const pid = Number(await inspect(id, "{{.State.Pid}}"));
            assertEquals(state.pid, pid);
            const ppid = Number(
              Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[1],
            );
            assertStringIncludes(Deno.readTextFileSync(`/proc/${ppid}/cmdline`), `-id\0${id}`);
            // removing the parent's creator leaves the other container in it running
            assertEquals((await docker("rm", "-f", id)).code, 0);
            assertEquals(
              (await docker("exec", other, "echo", "still-here")).stdout,
              "still-here\n",
            );
            assertEquals(await inspect(other, "{{.State.Status}}"), "running");
          } finally {
            await docker("rm", "-f", id);
            assertEquals((await docker("rm", "-f", other)).code, 0);
          }
        },
      );

      await t.step(
        "run: output, exit codes, 127 and 126 for missing and non-executable programs",
        async () => {
          const hi = await run([], "echo", "hi from docker");
          assertEquals([hi.stdout, hi.code], ["hi from docker\n", 0], hi.stderr);
          assertEquals((await run([], "sh", "-c", "exit 3")).code, 3);
          const missing = await run([], "no-such-command");
          assertEquals(missing.code, 127, missing.stderr);
          assertStringIncludes(
            missing.stderr,
            `exec: "no-such-command": executable file not found in $PATH`,
          );
          const noPath = await run([], "/no/such");
          assertEquals(noPath.code, 127, noPath.stderr);
          assertStringIncludes(noPath.stderr, "stat /no/such: no such file or directory");
          const notExec = await run([], "/etc/passwd");
          assertEquals(notExec.code, 126, notExec.stderr);
          assertStringIncludes(notExec.stderr, `exec: "/etc/passwd": permission denied`);
        },
      );

      await t.step("--user, -e and -w", async () => {
        const u = await run(["--user", "1000:1000"], "sh", "-c", "id -u; id -g");
        assertEquals(u.stdout, "1000\n1000\n", u.stderr);
        const e = await run(["-e", "X=5", "-w", "/tmp"], "sh", "-c", "echo $X; pwd");
        assertEquals(e.stdout, "5\n/tmp\n", e.stderr);
      });

      await t.step("--read-only and --cap-drop", async () => {
        const ro = await run(["--read-only"], "sh", "-c", "touch /x 2>/dev/null || echo ro");
        assertEquals(ro.stdout, "ro\n", ro.stderr);
        const all = await run(
          ["--cap-drop", "ALL"],
          "grep",
          "-E",
          "^Cap(Eff|Bnd)",
          "/proc/self/status",
        );
        assertEquals(
          all.stdout,
          "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n",
          all.stderr,
        );
        // Docker's default set (0xa80425fb) without CAP_NET_RAW (bit 13)
        const raw = await run(["--cap-drop", "NET_RAW"], "grep", "^CapEff", "/proc/self/status");
        assertEquals(raw.stdout, "CapEff:\t00000000a80405fb\n", raw.stderr);
      });

      await t.step(
        "--memory 64m and --pids-limit 42 read back in the container's cgroup",
        async () => {
          const r = await run(
            ["--memory", "64m", "--pids-limit", "42"],
            "sh",
            "-c",
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; " +
              "find /sys/fs/cgroup/memory /sys/fs/cgroup/pids -mindepth 1 -type d",
          );
          // its own cgroup directories: no other cgroup below them is visible
          assertEquals(r.stdout, "67108864\n42\n", r.stderr);
        },
      );

      await t.step("--ulimit", async () => {
        const r = await run(["--ulimit", "nofile=123:456"], "sh", "-c", "ulimit -n; ulimit -Hn");
        assertEquals(r.stdout, "123\n456\n", r.stderr);
      });

      await t.step("--network none and --network host", async () => {
        const host = Deno.readLinkSync("/proc/self/ns/net");
        const none = await run(
          [],
          "sh",
          "-c",
          "ip -o link | cut -d: -f2; readlink /proc/self/ns/net",
        );
        const [lo, ns] = none.stdout.trim().split("\n");
        assertEquals(lo.trim(), "lo", none.stdout + none.stderr);
        assertNotEquals(ns, host);
        const h = await dk.docker([
          "run",
          "--rm",
          "--network",
          "host",
          IMAGE,
          "readlink",
          "/proc/self/ns/net",
        ]);
        assertEquals(h.stdout, `${host}\n`, h.stderr);
      });

      await t.step("--init runs docker-init as pid 1", async () => {
        const r = await run(["--init"], "ps", "-o", "pid,args");
        const rows = r.stdout.trim().split("\n").slice(1).map((l) => l.trim());
        assertEquals(rows[0], "1 /sbin/docker-init -- ps -o pid,args", r.stdout);
        assert(/^\d+ ps -o pid,args$/.test(rows[1]), r.stdout);
        assertEquals(rows.length, 2, r.stdout);
      });

      await t.step("run -d; exec: exit code, --user -w, -t; top; stats; update", async () => {
        const id = await detached(["--network", "none", "--memory", "64m"]);
        try {
          const e = await docker("exec", id, "sh", "-c", "echo exec-ok; exit 5");
          assertEquals([e.stdout, e.code], ["exec-ok\n", 5], e.stderr);
          // Docker's exec maps every start failure to 126 (with runc too); moat's wording shows
          const missing = await docker("exec", id, "no-such-command");
          assertEquals(missing.code, 126, missing.stderr);
          assertStringIncludes(
            missing.stdout + missing.stderr,
            `exec: "no-such-command": executable file not found in $PATH`,
          );
          const uw = await docker(
            "exec",
            "--user",
            "1000",
            "-w",
            "/tmp",
            id,
            "sh",
            "-c",
            "id -u; pwd",
          );
          assertEquals(uw.stdout, "1000\n/tmp\n", uw.stderr);
          const tty = await inTerminal([
            "exec",
            "-t",
            id,
            "sh",
            "-c",
            "tty; test -t 0 && echo is-a-tty",
          ]);
          assertStringIncludes(tty.out, "/dev/pts/0\nis-a-tty\n");
          assertEquals(tty.code, 0);

          const pid = await inspect(id, "{{.State.Pid}}");
          const top = await docker("top", id, "-o", "pid,args");
          assertEquals(top.code, 0, top.stderr);
          const rows = top.stdout.trim().split("\n").slice(1).map((l) =>
            l.trim().replace(/\s+/, " ")
          );
          assert(rows.some((r) => r.startsWith(`${pid} sh -c trap`)), top.stdout);
          assert(rows.every((r) => /^\d+ (sh -c trap|sleep 0\.1)/.test(r)), top.stdout);

          const stats = await docker(
            "stats",
            "--no-stream",
            "--format",
            "{{.MemUsage}}|{{.PIDs}}",
            id,
          );
          assertEquals(stats.code, 0, stats.stderr);
          const [mem, pids] = stats.stdout.trim().split("|");
          assert(mem.endsWith("/ 64MiB"), stats.stdout);
          assert(Number(pids) >= 1, stats.stdout);

          const up = await docker(
            "update",
            "--memory",
            "128m",
            "--memory-swap",
            "256m",
            "--pids-limit",
            "50",
            id,
          );
          assertEquals(up.code, 0, up.stderr);
          const limits = await docker(
            "exec",
            id,
            "cat",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes",
            "/sys/fs/cgroup/pids/pids.max",
          );
          assertEquals(limits.stdout, "134217728\n268435456\n50\n", limits.stderr);
        } finally {
          assertEquals((await docker("rm", "-f", id)).code, 0);
        }
      });

      await t.step("pause/unpause freeze and thaw; stop then start again", async () => {
        const id = await detached(["--network", "none"]);
        try {
          const freezer = `/sys/fs/cgroup/freezer${dk.cgroupParent}/${id}/freezer.state`;
          assertEquals((await docker("pause", id)).code, 0);
          assertEquals(await inspect(id, "{{.State.Status}}"), "paused");
          assertEquals(Deno.readTextFileSync(freezer).trim(), "FROZEN");
          assertEquals((await docker("unpause", id)).code, 0);
          assertEquals(await inspect(id, "{{.State.Status}}"), "running");
          assertEquals(Deno.readTextFileSync(freezer).trim(), "THAWED");
          assertEquals((await docker("exec", id, "echo", "thawed")).stdout, "thawed\n");

          const firstPid = await inspect(id, "{{.State.Pid}}");
          const stop = await docker("stop", "-t", "10", id);
          assertEquals(stop.code, 0, stop.stderr);
          assertEquals(await inspect(id, "{{.State.Status}} {{.State.ExitCode}}"), "exited 0");
          assertEquals(exists(`${dk.stateRoot}/${id}`), false, "moat's state is deleted on exit");
          const start = await docker("start", id);
          assertEquals(start.code, 0, start.stderr);
          assertEquals(await inspect(id, "{{.State.Status}}"), "running");
          assertNotEquals(await inspect(id, "{{.State.Pid}}"), firstPid);
          assertEquals((await docker("exec", id, "echo", "again")).stdout, "again\n");
        } finally {
          assertEquals((await docker("rm", "-f", id)).code, 0);
        }
      });

      await t.step("kill and wait give 137; rm leaves no state or cgroup", async () => {
        const id = await detached(["--network", "none"]);
        assertEquals((await docker("kill", id)).code, 0);
        const w = await docker("wait", id);
        assertEquals(w.stdout.trim(), "137", w.stderr);
        assertEquals(await inspect(id, "{{.State.ExitCode}}"), "137");
        assertEquals((await docker("rm", id)).code, 0);
        assertEquals(exists(`${dk.stateRoot}/${id}`), false);
        for (const c of ["memory", "pids", "freezer", "unified"]) {
          assertEquals(exists(`/sys/fs/cgroup/${c}${dk.cgroupParent}/${id}`), false, c);
        }
      });

      await t.step("run -t gets a terminal", async () => {
        const r = await inTerminal([
          "run",
          "--rm",
          "-t",
          "--network",
          "none",
          IMAGE,
          "sh",
          "-c",
          "tty; test -t 0 && echo is-a-tty",
        ]);
        assertStringIncludes(r.out, "/dev/pts/0\nis-a-tty\n");
        assertEquals(r.code, 0);
      });

      await t.step("--pid container:X --network container:X join X's namespaces", async () => {
        const x = await dk.docker(["run", "-d", "--network", "none", IMAGE, "sleep", "1000"]);
        assertEquals(x.code, 0, x.stderr);
        const id = x.stdout.trim();
        try {
          const pid = await inspect(id, "{{.State.Pid}}");
          const j = await dk.docker([
            "run",
            "--rm",
            "--pid",
            `container:${id}`,
            "--network",
            `container:${id}`,
            IMAGE,
            "sh",
            "-c",
            "readlink /proc/self/ns/pid; readlink /proc/self/ns/net; ps -o pid,args",
          ]);
          assertEquals(j.code, 0, j.stderr);
          const lines = j.stdout.trim().split("\n");
          assertEquals(lines.slice(0, 2), [
            Deno.readLinkSync(`/proc/${pid}/ns/pid`),
            Deno.readLinkSync(`/proc/${pid}/ns/net`),
          ]);
          const rows = lines.slice(3).map((l) => l.trim());
          assertEquals(rows[0], "1 sleep 1000", j.stdout);
          // the rest are this container's shell and its ps: no host process
          assert(
            rows.slice(1).every((r) => /^\d+ (sh -c readlink|\{ps\} sh -c|ps -o)/.test(r)),
            j.stdout,
          );
          assert(rows.length <= 4, j.stdout);
        } finally {
          assertEquals((await docker("rm", "-f", id)).code, 0);
        }
      });
    } finally {
      await dk.stop();
    }

    await t.step("nothing is left behind: processes, /run, cgroups, mounts, iptables", () => {
      assertEquals(dk.leftovers(), []);
      assertEquals(hostSnapshot(), before);
    });
  },
});
