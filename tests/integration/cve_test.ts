// One regression test per runc CVE class, each against real containers: the attack the CVE used
// is set up (a racing process, a symlink planted by a createContainer hook, a held fd, ...) and
// the test checks it reaches nothing outside the container.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import {
  busyboxRootfs,
  isRoot,
  makeBundle,
  type SpecObject,
  uniqueId,
  WORK,
} from "../helpers/bundle.ts";
import { buildStatic } from "../helpers/cbuild.ts";
import { moat, moatToFile, mountsMentioning, runBundle, waitFor } from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

/** The probe (tests/helpers/cve_probe.c) at /probe, a read-only bind. */
function withProbe(s: SpecObject): void {
  s.mounts.push({
    destination: "/probe",
    type: "bind",
    source: buildStatic("cve_probe"),
    options: ["rbind", "ro"],
  });
}

/** A createContainer hook: a host /bin/sh script, run in the container's mount namespace before
 * pivot_root (the rootfs at its host path, the spec's mounts in place). */
function createHook(s: SpecObject, script: string): void {
  s.hooks ??= {};
  (s.hooks.createContainer ??= []).push({ path: "/bin/sh", args: ["sh", "-c", script] });
}

/** "key value" lines of the probe. */
function lines(out: string): string[] {
  return out.trim().split("\n").filter((l) => l !== "");
}

async function created(args: string[], edit?: (s: SpecObject) => void) {
  const bundle = makeBundle(args, edit);
  const id = uniqueId("cve");
  const r = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/o`);
  assertEquals(r.code, 0, r.stderr);
  return { id, bundle };
}

const CORE_PATTERN = "/proc/sys/kernel/core_pattern";

/** A host file the attacks aim at, and a check that it still holds what it held. */
function hostTarget() {
  const dir = Deno.makeTempDirSync({ prefix: "moat-cve-host-" });
  const file = `${dir}/target`;
  Deno.writeTextFileSync(file, "host\n");
  const core = Deno.readTextFileSync(CORE_PATTERN);
  return {
    dir,
    file,
    assertUntouched() {
      assertEquals(Deno.readTextFileSync(file), "host\n", `${file} changed`);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["target"], `${dir} changed`);
      assertEquals(Deno.readTextFileSync(CORE_PATTERN), core, "the host's core_pattern changed");
      assertEquals(mountsMentioning(dir), []);
    },
    remove() {
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

// ---- CVE-2019-5736: overwriting the runtime through /proc/<pid>/exe ----

/** What the probe found for one process's exe, from a container process allowed to ptrace
 * (so the only thing standing is the sealed memfd) and from a default one. */
function assertExeSealed(out: string, who: string): void {
  const l = lines(out);
  assert(!out.includes("WROTE"), `${who}: the container wrote the runtime: ${out}`);
  assertStringIncludes(l.find((x) => x.startsWith("link ")) ?? "", "/memfd:moat-sentry", who);
  // F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
  const seals = Number((l.find((x) => x.startsWith("seals ")) ?? "seals -1").slice(6));
  assertEquals(seals & 0xf, 0xf, `${who}: the sentry's memfd is sealed: ${out}`);
}

Deno.test({
  name:
    "CVE-2019-5736: the runtime's executable cannot be written from the container (create, start, exec)",
  ...root,
  async fn() {
    // the workload waits; a startContainer hook holds `start` until the test opens its gate
    const { id } = await created(["sleep", "60"], (s) => {
      withProbe(s);
      s.hooks = { startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "cat /dev/shm/gate"] }] };
    });
    const attack = (pid: string, ptrace: boolean) =>
      moat(["exec", ...(ptrace ? ["--cap", "CAP_SYS_PTRACE"] : []), id, "/probe", "exe", pid]);
    const scan = async () => {
      const r = await moat(["exec", "--cap", "CAP_SYS_PTRACE", id, "/probe", "scan"]);
      assertEquals(r.code, 0, r.stderr);
      // every process the container sees runs the sealed sentry or a file of the container:
      // neither bin/moat (Deno) nor the sentry's build output
      for (const l of lines(r.stdout)) {
        const exe = l.split(" ").slice(2).join(" ");
        assert(
          exe.startsWith("/memfd:moat-sentry") || /^\/(bin|probe)/.test(exe) ||
            exe === "No such file or directory",
          `a host executable is visible: ${l}`,
        );
      }
      return lines(r.stdout);
    };
    try {
      // create: the init (pid 1) is the sentry image, waiting for start
      assertEquals((await moat(["exec", id, "mkfifo", "/dev/shm/gate"])).code, 0);
      assert((await scan()).some((l) => /^pid 1 \/memfd:moat-sentry/.test(l)));
      assertExeSealed((await attack("1", true)).stdout, "create, CAP_SYS_PTRACE");
      // without CAP_SYS_PTRACE the container cannot even open it (the init is not dumpable)
      const plain = (await attack("1", false)).stdout;
      assert(!plain.includes("WROTE"), plain);
      assertStringIncludes(plain, "open Permission denied", "the waiting init is not dumpable");

      // start: the init runs the startContainer hook, still before the workload's execve
      const start = moat(["start", id]);
      await waitFor(async () =>
        (await moat(["exec", id, "sh", "-c", "ps -o comm | grep -c cat"])).stdout.trim() === "1"
      );
      assertExeSealed((await attack("1", true)).stdout, "start, CAP_SYS_PTRACE");
      assertStringIncludes((await attack("1", false)).stdout, "open Permission denied");
      assertEquals((await moat(["exec", id, "sh", "-c", "echo go > /dev/shm/gate"])).code, 0);
      assertEquals((await start).code, 0);

      // exec: the exec'd process is a clone of the sentry until its execve. Make it execute
      // itself (the CVE's #!/proc/self/exe move): the sentry image then waits in the container
      // for its plan file, a fifo.
      assertEquals((await moat(["exec", id, "mkfifo", "/dev/shm/plan"])).code, 0);
      const d = await moatToFile(
        ["exec", "--detach", id, "/proc/self/exe", "/dev/shm/plan"],
        `${WORK}/${id}.exec`,
      );
      assertEquals(d.code, 0, d.stderr);
      let pid = "";
      await waitFor(async () => {
        const own = (await scan()).find((l) => /^pid \d+ \/memfd:moat-sentry/.test(l));
        pid = own?.split(" ")[1] ?? "";
        return pid !== "";
      });
      assertExeSealed((await attack(pid, true)).stdout, "exec, CAP_SYS_PTRACE");
      await moat(["exec", id, "sh", "-c", "echo > /dev/shm/plan"]);
    } finally {
      await moat(["delete", "--force", id]);
    }
  },
});

// ---- CVE-2021-30465: a mount destination swapped for a symlink while create runs ----

Deno.test({
  name:
    "CVE-2021-30465: a destination flipped to a host symlink by a racing process never mounts outside the rootfs",
  ...root,
  async fn() {
    const host = hostTarget();
    // a rootfs of its own (the race writes into it): busybox comes in as a read-only bind
    const rootfs = `${WORK}/race-${uniqueId("r")}`;
    Deno.mkdirSync(`${rootfs}/bin`, { recursive: true });
    Deno.mkdirSync(`${rootfs}/d`);
    Deno.symlinkSync(host.dir, `${rootfs}/d.link`);
    // resolved in the root, the symlink leads to the same path inside the rootfs
    Deno.mkdirSync(`${rootfs}${host.dir}`, { recursive: true });
    // "d" is the directory or the symlink, swapped atomically in a tight loop
    const flip = new Deno.Command(buildStatic("flip"), {
      args: [rootfs, "d", "d.link"],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const seen = `${WORK}/race-${uniqueId("seen")}`;
    try {
      let ran = 0;
      for (let i = 0; i < 200; i++) {
        const bundle = makeBundle(["true"], (s) => {
          s.root = { path: rootfs, readonly: false };
          s.mounts.push({
            destination: "/bin",
            type: "bind",
            source: `${busyboxRootfs()}/bin`,
            options: ["rbind", "ro"],
          });
          // "d" itself, and mounts below it
          for (const dest of ["/d", "/d/m1", "/d/m2"]) {
            s.mounts.push({ destination: dest, type: "tmpfs", source: "tmpfs" });
          }
          // the container's mount table with every mount in place, before pivot_root: a mount
          // that followed the symlink sits on the host directory
          createHook(s, `grep -c ' ${host.dir}[ /]' /proc/self/mountinfo >> ${seen}; true`);
        });
        const r = await runBundle(bundle, uniqueId("race"));
        if (r.code === 0) ran++;
        host.assertUntouched();
      }
      const counts = Deno.readTextFileSync(seen).trim().split("\n");
      assert(counts.length >= ran, `the hook ran for every container: ${counts.length}, ${ran}`);
      assertEquals(counts.filter((c) => c !== "0"), [], "no mount landed in the host directory");
      assert(ran > 0, "some containers ran");
    } finally {
      flip.kill("SIGKILL");
      await flip.output();
      Deno.removeSync(rootfs, { recursive: true });
      try {
        Deno.removeSync(seen);
      } catch { /* no hook ran */ }
      host.remove();
    }
  },
});

// ---- CVE-2024-21626: a host fd reached through process.cwd or inherited ----

// 3..20 and a few more: the init's cgroup2 leaf fd was number 21
const MAX_FD = 24;

Deno.test({
  name:
    "CVE-2024-21626: cwd /proc/self/fd/N (create and exec) never reaches a host directory; no host fd survives execve",
  ...root,
  async fn() {
    const host = hostTarget();
    // from a host directory, enough ".." reach the host's root and the marker directory
    const up = "../".repeat(24) + host.dir.slice(1);
    const probe = `if ls -d ${up} >/dev/null 2>&1; then echo ESCAPED; fi; echo ran`;
    try {
      for (let n = 3; n <= MAX_FD; n++) {
        const cwd = `/proc/self/fd/${n}`;
        const bundle = makeBundle(["sh", "-c", probe], (s) => (s.process.cwd = cwd));
        const r = await runBundle(bundle, uniqueId("cwd"));
        assert(!r.stdout.includes("ESCAPED"), `cwd ${cwd} reached the host: ${r.stdout}`);
        if (r.code !== 0) assertStringIncludes(r.stderr, "cwd", `cwd ${cwd}: ${r.stderr}`);
      }
      const { id } = await created(["sleep", "60"], withProbe);
      try {
        assertEquals((await moat(["start", id])).code, 0);
        for (let n = 3; n <= MAX_FD; n++) {
          const cwd = `/proc/self/fd/${n}`;
          const r = await moat(["exec", "--cwd", cwd, id, "sh", "-c", probe]);
          assert(!r.stdout.includes("ESCAPED"), `exec --cwd ${cwd} reached the host`);
          if (r.code !== 0) assertStringIncludes(r.stderr, "cwd", `exec --cwd ${cwd}: ${r.stderr}`);
        }
      } finally {
        await moat(["delete", "--force", id]);
      }
    } finally {
      host.remove();
    }

    // every fd at execve, in the init and in an exec'd process: stdio only
    const allowed = (out: string, who: string) => {
      const fds = lines(out);
      assertEquals(fds.map((l) => l.split(" ")[1]), ["0", "1", "2"], `${who}: ${out}`);
    };
    // with a terminal: the pty on 0-2, the console's socketpair gone
    const tty = makeBundle(["/probe", "fds"], (s) => {
      withProbe(s);
      s.process.terminal = true;
    });
    const t = await runBundle(tty, uniqueId("fds"));
    assertEquals(t.code, 0, t.stderr);
    allowed(t.stdout.replaceAll("\r", ""), "init with a terminal");
    assertEquals(lines(t.stdout.replaceAll("\r", "")).map((l) => l.split(" ")[3]), [
      "/dev/pts/0",
      "/dev/pts/0",
      "/dev/pts/0",
    ]);
    for (
      const ann of [{}, { "dev.moat.egress.default": "deny" }, { "dev.moat.virtualize": "on" }]
    ) {
      const bundle = makeBundle(["/probe", "fds"], (s) => {
        withProbe(s);
        s.annotations = ann;
      });
      const r = await runBundle(bundle, uniqueId("fds"));
      assertEquals(r.code, 0, r.stderr);
      allowed(r.stdout, `init ${JSON.stringify(ann)}`);

      const { id } = await created(["sleep", "60"], (s) => {
        withProbe(s);
        s.annotations = ann;
      });
      try {
        // the init waiting for start holds only stdio and its pipes to the sentry: no
        // directory, no file of the state dir, no cgroup, no bpf object
        const st = JSON.parse((await moat(["state", id])).stdout);
        if ("dev.moat.egress.default" in ann) {
          assertEquals(st.sandbox?.egressGuard, true, "the egress guard is attached");
        }
        for (const e of Deno.readDirSync(`/proc/${st.pid}/fd`)) {
          if (Number(e.name) < 3) continue;
          const link = Deno.readLinkSync(`/proc/${st.pid}/fd/${e.name}`);
          assert(/^(pipe|socket):/.test(link), `the waiting init holds fd ${e.name}: ${link}`);
        }
        for (const phase of ["created", "running"]) {
          const x = await moat(["exec", id, "/probe", "fds"]);
          assertEquals(x.code, 0, x.stderr);
          allowed(x.stdout, `exec (${phase}) ${JSON.stringify(ann)}`);
          if (phase === "created") assertEquals((await moat(["start", id])).code, 0);
        }
      } finally {
        await moat(["delete", "--force", id]);
      }
    }
  },
});

// ---- CVE-2025-31133: maskedPaths through a /dev/null that is not one ----

Deno.test({
  name: "CVE-2025-31133: masked paths are only ever covered by a real null device",
  ...root,
  async fn() {
    const host = hostTarget();
    try {
      for (
        const plant of [
          `ln -s ${CORE_PATTERN} "$R/dev/null"`,
          `ln -s ${host.file} "$R/dev/null"`,
          `mkdir "$R/dev/null"`,
        ]
      ) {
        const bundle = makeBundle([
          "sh",
          "-c",
          // (nothing is written: without the protection /proc/keys would be the host's
          // core_pattern, writable)
          "stat -c '%n %F %t:%T' /proc/keys /proc/timer_list; " +
          "grep -c ' /proc/acpi ro,' /proc/self/mountinfo",
        ], (s) => {
          // the race of the CVE, won every time: /dev/null swapped after moat made it
          createHook(s, `R=${s.root.path}; rm -rf "$R/dev/null"; ${plant}`);
        });
        const r = await runBundle(bundle, uniqueId("mask"));
        assertEquals(r.code, 0, `${plant}: ${r.stderr}`);
        assertEquals(lines(r.stdout), [
          "/proc/keys character special file 1:3",
          "/proc/timer_list character special file 1:3",
          "1",
        ], plant);
        host.assertUntouched();
      }
    } finally {
      host.remove();
    }
  },
});

// ---- CVE-2025-52565: the console bind through a planted symlink ----

Deno.test({
  name:
    "CVE-2025-52565: /dev/console and /dev/pts/* planted as symlinks: the console bind never follows them",
  ...root,
  async fn() {
    const host = hostTarget();
    const look = "tty; stat -c '%F %t' /dev/console; " +
      `grep -c ' /dev/console ' /proc/self/mountinfo; grep -c ' ${CORE_PATTERN} ' /proc/self/mountinfo; ` +
      `stat -c %F ${CORE_PATTERN}`;
    try {
      for (
        const plant of [
          `ln -s ${CORE_PATTERN} "$R/dev/console"`,
          `ln -s ${host.file} "$R/dev/console"`,
          `mkdir "$R/dev/console"`,
        ]
      ) {
        const bundle = makeBundle(["sh", "-c", look], (s) => {
          s.process.terminal = true;
          createHook(s, `R=${s.root.path}; rm -rf "$R/dev/console"; ${plant}`);
        });
        const r = await runBundle(bundle, uniqueId("console"));
        assertEquals(r.code, 0, `${plant}: ${r.stderr}`);
        assertEquals(lines(r.stdout.replaceAll("\r", "")), [
          "/dev/pts/0",
          "character special file 88",
          "1",
          "0",
          "regular empty file",
        ], plant);
        host.assertUntouched();
      }
      // /dev/pts is no devpts of the container but a tmpfs of symlinks: refused, nothing bound
      for (const ptmx of [`ln -s ${host.file} "$P/ptmx"`, `ln -s /dev/realpts/ptmx "$P/ptmx"`]) {
        const bundle = makeBundle(["sh", "-c", look], (s) => {
          s.process.terminal = true;
          createHook(
            s,
            `R=${s.root.path}; P=$R/dev/pts; mkdir -p $R/dev/realpts; ` +
              `mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/realpts && ` +
              `mount -t tmpfs tmpfs $P && ${ptmx} && ` +
              `for n in 0 1 2 3; do ln -s ${CORE_PATTERN} $P/$n; done`,
          );
        });
        const r = await runBundle(bundle, uniqueId("pts"));
        assertEquals(r.code, 1, r.stdout);
        assertStringIncludes(r.stderr, "/dev/pts/ptmx");
        host.assertUntouched();
      }
    } finally {
      host.remove();
    }
  },
});

// ---- CVE-2025-52881, CVE-2019-19921, CVE-2023-27561: moat's procfs writes and its mounts
// ---- through /proc/self/fd, with the container's mounts over /proc

Deno.test({
  name:
    "CVE-2025-52881/CVE-2019-19921/CVE-2023-27561: mounts over /proc never redirect moat's procfs use",
  ...root,
  async fn() {
    // a volume over the init's /proc/1/fd: every "/proc/self/fd/N" moat would resolve in the
    // container leads to a file or directory of the container's choosing
    const fakeFd = (target: string) => {
      const dir = `${WORK}/fakefd-${uniqueId("f")}`;
      Deno.mkdirSync(dir, { recursive: true });
      for (let n = 0; n < 100; n++) Deno.symlinkSync(target, `${dir}/${n}`);
      return dir;
    };
    const overFd = (dir: string) => (s: SpecObject) => {
      s.mounts.push({ destination: "/proc/1/fd", type: "bind", source: dir, options: ["rbind"] });
    };
    const look = "grep -c ' /proc/sys ro,' /proc/self/mountinfo; stat -c '%F %t:%T' /proc/keys; " +
      "grep -c ' /tmp \\| /etc/hostname ' /proc/self/mountinfo; true";
    const dirs = [fakeFd("/tmp"), fakeFd("/etc/hostname")];
    try {
      for (
        const [dir, masked, readonly] of [[dirs[0], [], ["/proc/sys"]], [dirs[1], ["/proc/keys"], [
          "/proc/sys",
        ]]]
      ) {
        const bundle = makeBundle(["sh", "-c", look], (s) => {
          s.root.readonly = false;
          s.linux.maskedPaths = masked;
          s.linux.readonlyPaths = readonly;
          overFd(dir as string)(s);
        });
        const r = await runBundle(bundle, uniqueId("procfd"));
        // refused naming /proc, or the masks and read-only paths are where they belong
        if (r.code !== 0) {
          assertStringIncludes(r.stderr, "/proc");
          continue;
        }
        const [ro, kcore, decoys] = lines(r.stdout);
        assertEquals(ro, "1", `/proc/sys is read-only: ${r.stdout}`);
        if ((masked as string[]).length) assertEquals(kcore, "character special file 1:3");
        assertEquals(decoys, "0", "nothing was mounted on the decoys");
      }

      // a volume over /proc/sys: linux.sysctl goes to the real procfs, not into the volume
      const sysctl = makeBundle(["sh", "-c", "ls /proc/sys | wc -l"], (s) => {
        s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
        s.mounts.push({ destination: "/proc/sys", type: "tmpfs", source: "tmpfs" });
      });
      const sr = await runBundle(sysctl, uniqueId("sysctl"));
      assertEquals([sr.code, sr.stdout], [0, "0\n"], sr.stderr);

      // the rootfs's /proc a symlink to a directory of fakes (CVE-2023-27561): the proc mount
      // lands in the rootfs, and sysctl and oom_score_adj go to the real procfs
      const rootfs = `${WORK}/procsym-${uniqueId("r")}`;
      Deno.mkdirSync(`${rootfs}/bin`, { recursive: true });
      Deno.mkdirSync(`${rootfs}/fake/sys/net/ipv4`, { recursive: true });
      Deno.mkdirSync(`${rootfs}/fake/self`, { recursive: true });
      Deno.writeTextFileSync(`${rootfs}/fake/sys/net/ipv4/ip_forward`, "fake\n");
      Deno.writeTextFileSync(`${rootfs}/fake/self/oom_score_adj`, "fake\n");
      Deno.symlinkSync("fake", `${rootfs}/proc`);
      try {
        const b = makeBundle(["sh", "-c", "cat /proc/self/oom_score_adj"], (s) => {
          s.root = { path: rootfs, readonly: false };
          // (the virtual /proc files refuse a /proc reached through a symlink: off here)
          s.annotations = { "dev.moat.virtualize": "off" };
          s.process.oomScoreAdj = 123;
          s.linux.sysctl = { "net.ipv4.ip_forward": "1" };
          s.mounts.push({
            destination: "/bin",
            type: "bind",
            source: `${busyboxRootfs()}/bin`,
            options: ["rbind", "ro"],
          });
        });
        const r = await runBundle(b, uniqueId("procsym"));
        assertEquals([r.code, r.stdout], [0, "123\n"], r.stderr);
        assertEquals(Deno.readTextFileSync(`${rootfs}/fake/sys/net/ipv4/ip_forward`), "fake\n");
        assertEquals(Deno.readTextFileSync(`${rootfs}/fake/self/oom_score_adj`), "fake\n");
      } finally {
        Deno.removeSync(rootfs, { recursive: true });
      }

      // oom_score_adj of an init joining a mount namespace whose /proc is a container's volume
      const fake = `${WORK}/fakeproc-${uniqueId("p")}`;
      Deno.mkdirSync(`${fake}/self`, { recursive: true });
      Deno.writeTextFileSync(`${fake}/self/oom_score_adj`, "fake\n");
      const a = await created(["sleep", "60"], (s) => {
        s.mounts.push({ destination: "/proc", type: "bind", source: fake, options: ["rbind"] });
        s.linux.maskedPaths = [];
        s.linux.readonlyPaths = [];
      });
      try {
        const aPid = JSON.parse((await moat(["state", a.id])).stdout).pid;
        const b = await created(["sleep", "60"], (s) => {
          s.root.readonly = false;
          s.process.oomScoreAdj = 123;
          s.linux.namespaces = s.linux.namespaces.map((n: SpecObject) =>
            n.type === "mount" ? { type: "mount", path: `/proc/${aPid}/ns/mnt` } : n
          );
          s.mounts = [];
          s.linux.maskedPaths = [];
          s.linux.readonlyPaths = [];
        });
        try {
          assertEquals(Deno.readTextFileSync(`${fake}/self/oom_score_adj`), "fake\n");
          const bPid = JSON.parse((await moat(["state", b.id])).stdout).pid;
          assertEquals(Deno.readTextFileSync(`/proc/${bPid}/oom_score_adj`), "123\n");
        } finally {
          await moat(["delete", "--force", b.id]);
        }
      } finally {
        await moat(["delete", "--force", a.id]);
        Deno.removeSync(fake, { recursive: true });
      }
    } finally {
      for (const d of dirs) Deno.removeSync(d, { recursive: true });
    }
  },
});
