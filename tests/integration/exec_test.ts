// `exec`: a process joins the running container (every namespace, its filesystem), with runc's
// flags, --process files as engines send them, and runc's exit codes.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, uniqueId } from "../helpers/bundle.ts";
import { moat, moatToFile, processesMentioning, ROOT, waitFor } from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

async function running(edit?: Parameters<typeof makeBundle>[1]) {
  const bundle = makeBundle(["sh", "-c", "echo $$ > /dev/shm/init; exec sleep 60"], edit);
  const id = uniqueId("exec");
  const r = await moatToFile(["run", "-d", "--bundle", bundle, id], `${bundle}/o`);
  assertEquals(r.code, 0, r.stderr);
  return { id, bundle };
}

Deno.test({
  name: "exec: joins the container's namespaces and returns the command's status",
  ...root,
  async fn() {
    const { id } = await running((s) => (s.hostname = "exec-host"));
    try {
      const r = await moat([
        "exec",
        id,
        "sh",
        "-c",
        "hostname; cat /dev/shm/init; ls /proc | grep -c '^[0-9]'; exit 3",
      ]);
      assertEquals(r.code, 3, r.stderr);
      const [host, initPid, procs] = r.stdout.trim().split("\n");
      assertEquals(host, "exec-host");
      assertEquals(initPid, "1", "sees the container's pid namespace and its /dev/shm");
      assert(Number(procs) <= 5);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "exec: --env adds, --cwd, --user and --additional-gids apply",
  ...root,
  async fn() {
    const { id } = await running();
    try {
      const r = await moat([
        "exec",
        "--env",
        "FOO=bar",
        "-e",
        "PATH=/bin",
        "--cwd",
        "/tmp",
        "--user",
        "1000:1000",
        "-g",
        "5",
        id,
        "sh",
        "-c",
        "echo $FOO $PATH; pwd; id",
      ]);
      assertEquals(r.stdout, "bar /bin\n/tmp\nuid=1000 gid=1000 groups=5(tty)\n", r.stderr);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "exec: --process file, --detach and --pid-file as containerd and conmon send them",
  ...root,
  async fn() {
    const { id, bundle } = await running();
    try {
      const proc = {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: ["sh", "-c", "echo detached > /dev/shm/out; sleep 0.2; exit 9"],
        env: ["PATH=/bin:/usr/bin"],
        cwd: "/",
        capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] },
      };
      Deno.writeTextFileSync(`${bundle}/process.json`, JSON.stringify(proc));
      const pidFile = `${bundle}/exec.pid`;
      const r = await moatToFile(
        ["exec", "--process", `${bundle}/process.json`, "--detach", "--pid-file", pidFile, id],
        `${bundle}/exec-out`,
      );
      assertEquals(r.code, 0, r.stderr);
      const pid = Deno.readTextFileSync(pidFile);
      assert(/^\d+$/.test(pid), `pid file ${JSON.stringify(pid)}`);
      const out = await moat(["exec", id, "cat", "/dev/shm/out"]);
      assertEquals(out.stdout, "detached\n");
      await waitFor(() => {
        try {
          return /\) [ZX] /.test(Deno.readTextFileSync(`/proc/${pid}/stat`)) || false;
        } catch {
          return true;
        }
      });
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "exec: runtime failures exit 255 with runc's wording",
  ...root,
  async fn() {
    const { id } = await running();
    const missing = await moat(["exec", id, "no-such-cmd"]);
    assertEquals(missing.code, 255);
    assertStringIncludes(missing.stderr, `exec: "no-such-cmd": executable file not found in $PATH`);
    const nothing = await moat(["exec", "no-such-container", "true"]);
    assertEquals(nothing.code, 255);
    assertStringIncludes(nothing.stderr, "container does not exist");
    await moat(["kill", id, "KILL"]);
    await waitFor(async () => JSON.parse((await moat(["state", id])).stdout).status === "stopped");
    const stopped = await moat(["exec", id, "true"]);
    assertEquals(stopped.code, 255);
    assertStringIncludes(stopped.stderr, "cannot exec in a stopped container");
    await moat(["delete", id]);
    assertEquals(processesMentioning(id), []);
  },
});

Deno.test({
  name: "exec: --tty in the foreground relays a pty",
  ...root,
  async fn() {
    const { id } = await running();
    try {
      const r = await moat(["exec", "-t", id, "sh", "-c", "test -t 0 && tty"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "/dev/pts/");
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "exec: --cap adds a capability, --no-new-privs sets the bit",
  ...root,
  async fn() {
    const { id } = await running((s) => (s.process.noNewPrivileges = false));
    try {
      const plain = await moat([
        "exec",
        id,
        "grep",
        "-E",
        "CapEff|NoNewPrivs",
        "/proc/self/status",
      ]);
      assertStringIncludes(plain.stdout, "NoNewPrivs:\t0");
      const r = await moat([
        "exec",
        "--cap",
        "CAP_SYS_ADMIN",
        "--no-new-privs",
        id,
        "grep",
        "-E",
        "CapEff|NoNewPrivs",
        "/proc/self/status",
      ]);
      // CAP_SYS_ADMIN is bit 21; the default set (AUDIT_WRITE, KILL, NET_BIND_SERVICE) stays.
      assertStringIncludes(r.stdout, "CapEff:\t0000000020200420");
      assertStringIncludes(r.stdout, "NoNewPrivs:\t1");
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "exec: --cgroup joins an existing sub-cgroup of the container's (all, or per controller)",
  ...root,
  async fn() {
    const { id } = await running();
    const rec = JSON.parse(Deno.readTextFileSync(`${ROOT}/${id}/state.json`)).cgroup;
    const dirs: string[] = [...new Set<string>([...Object.values(rec.v1) as string[], rec.v2])]
      .filter(Boolean);
    const memory = rec.v1.memory as string | undefined;
    try {
      for (const d of dirs) {
        Deno.mkdirSync(`${d}/sub`);
        // a v1 cpuset cgroup takes no process before its cpus and mems are set
        for (const f of ["cpuset.cpus", "cpuset.mems"]) {
          if (d !== rec.v2 && d === rec.v1.cpuset) {
            Deno.writeTextFileSync(`${d}/sub/${f}`, Deno.readTextFileSync(`${d}/${f}`));
          }
        }
      }
      // host paths: the exec'd process is in sub (or the container's) of each hierarchy
      const where = async (flags: string[]) => {
        const r = await moat(["exec", ...flags, id, "sleep", "0"], {});
        assertEquals(r.code, 0, r.stderr);
        return dirs.map((d) => Deno.readTextFileSync(`${d}/sub/cgroup.procs`).trim());
      };
      // the process is gone when exec returns: look at what it left (nothing); instead ask it
      const self = async (flags: string[]) => {
        const r = await moat(["exec", ...flags, id, "cat", "/proc/self/cgroup"]);
        assertEquals(r.code, 0, r.stderr);
        return r.stdout.trim().split("\n");
      };
      assertEquals(await where([]), dirs.map(() => ""));
      const all = await self(["--cgroup", "sub"]);
      assert(all.length >= dirs.length && all.every((l) => l.endsWith("/sub")), all.join("\n"));
      const plain = await self([]);
      assert(plain.every((l) => !l.endsWith("/sub")), plain.join("\n"));
      if (memory) {
        const mem = await self(["--cgroup", "memory:sub"]);
        assert(mem.some((l) => /:memory:.*\/sub$/.test(l)), mem.join("\n"));
        assert(mem.filter((l) => l.endsWith("/sub")).length === 1, mem.join("\n"));
      }
      const missing = await moat(["exec", "--cgroup", "nope", id, "true"]);
      assertEquals(missing.code, 255);
      assertStringIncludes(missing.stderr, "/nope does not exist");
      const up = await moat(["exec", "--cgroup", "../sub", id, "true"]);
      assertEquals(up.code, 255);
      assertStringIncludes(
        up.stderr,
        'invalid --cgroup argument: ../sub (the path must name a sub-cgroup, without "..")',
      );
      const ctrl = await moat(["exec", "--cgroup", "nosuchctl:sub", id, "true"]);
      assertEquals(ctrl.code, 255);
      assertStringIncludes(ctrl.stderr, 'controller "nosuchctl"');
    } finally {
      for (const d of dirs) {
        try {
          Deno.removeSync(`${d}/sub`);
        } catch { /* not made */ }
      }
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "exec: flags moat cannot honour are refused, naming the flag",
  ...root,
  async fn() {
    const { id, bundle } = await running();
    try {
      const proc = `${bundle}/process.json`;
      Deno.writeTextFileSync(
        proc,
        JSON.stringify({ args: ["true"], cwd: "/", user: { uid: 0, gid: 0 } }),
      );
      const cases: Array<[string[], string]> = [
        [["--apparmor", "docker-default", id, "true"], "--apparmor is not supported"],
        [
          ["--process-label", "system_u:system_r:x", id, "true"],
          "--process-label is not supported",
        ],
        [["--process", proc, "--cwd", "/tmp", id], "--cwd cannot be combined with --process"],
        [["-p", proc, "-e", "A=1", id], "--env cannot be combined with --process"],
        [["-p", proc, "--tty", id], "--tty conflicts with the process file's terminal"],
      ];
      for (const [argv, msg] of cases) {
        const r = await moat(["exec", ...argv]);
        assertEquals(r.code, 255, argv.join(" "));
        assertStringIncludes(r.stderr, msg);
      }
      // a process file asking for an LSM label is refused too (create refuses it likewise)
      Deno.writeTextFileSync(
        proc,
        JSON.stringify({
          args: ["true"],
          cwd: "/",
          user: { uid: 0, gid: 0 },
          apparmorProfile: "docker-default",
        }),
      );
      const lsm = await moat(["exec", "-p", proc, id]);
      assertEquals(lsm.code, 255);
      assertStringIncludes(
        lsm.stderr,
        "process.apparmorProfile: AppArmor profiles are not supported",
      );
      // "" means no profile (runc's default): accepted
      assertEquals((await moat(["exec", "--apparmor", "", id, "true"])).code, 0);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

Deno.test({
  name: "exec: a --process file's scheduler, ioPriority and execCPUAffinity apply to the process",
  ...root,
  async fn() {
    const { id, bundle } = await running();
    try {
      const proc = `${bundle}/attrs.json`;
      const base = {
        args: [
          "sh",
          "-c",
          "grep -E '^policy' /proc/self/sched; ionice; grep Cpus_allowed_list /proc/self/status",
        ],
        cwd: "/",
        user: { uid: 0, gid: 0 },
        env: ["PATH=/bin"],
      };
      const run = async (extra: Record<string, unknown>) => {
        Deno.writeTextFileSync(proc, JSON.stringify({ ...base, ...extra }));
        const r = await moat(["exec", "-p", proc, id]);
        assertEquals(r.code, 0, r.stderr);
        return r.stdout.replace(/[ \t]+/g, " ").trim().split("\n");
      };
      const plain = await run({});
      assertEquals(plain[0], "policy : 0");
      const [policy, prio, cpus] = await run({
        scheduler: { policy: "SCHED_BATCH" },
        ioPriority: { class: "IOPRIO_CLASS_IDLE" },
        execCPUAffinity: { final: "1" },
      });
      assertEquals(policy, "policy : 3");
      assertEquals(prio, "idle");
      assertEquals(cpus, "Cpus_allowed_list: 1");
      // CPUs the host lacks: the runtime's own error (255), naming the field
      Deno.writeTextFileSync(proc, JSON.stringify({ ...base, execCPUAffinity: { final: "500" } }));
      const bad = await moat(["exec", "-p", proc, id]);
      assertEquals(bad.code, 255);
      assertStringIncludes(
        bad.stderr,
        "process.execCPUAffinity.final: sched_setaffinity",
      );
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});
