// Integration tests (root): real containers from the busybox-static bundle, each observing the
// effect of one part of config.json from inside the container.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { busyboxRootfs, isRoot, makeBundle, uniqueId } from "../helpers/bundle.ts";
import { moat, mountsMentioning, runBundle, waitFor } from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

async function inside(script: string, edit?: Parameters<typeof makeBundle>[1]) {
  const bundle = makeBundle(["sh", "-c", script], edit);
  return await runBundle(bundle, uniqueId("c"));
}

Deno.test({
  name: "hostname and domainname come from the config",
  ...root,
  async fn() {
    const r = await inside("hostname; cat /proc/sys/kernel/domainname", (s) => {
      s.hostname = "moat-test";
      s.domainname = "example.org";
    });
    assertEquals(r.stderr, "");
    assertEquals(r.stdout, "moat-test\nexample.org\n");
    assertEquals(r.code, 0);
  },
});

Deno.test({
  name: "the process is PID 1 of a new pid namespace",
  ...root,
  async fn() {
    const r = await inside("echo $$; ls /proc | grep -E '^[0-9]+$' | wc -l");
    const [pid, count] = r.stdout.trim().split("\n").map((s) => s.trim());
    assertEquals(pid, "1");
    // sh, ls, grep, wc: nothing from the host is visible.
    assert(Number(count) <= 5, `saw ${count} processes`);
  },
});

Deno.test({
  name: "mount table holds the spec's mounts",
  ...root,
  async fn() {
    const r = await inside("cat /proc/self/mounts");
    const mounts = r.stdout.split("\n").map((l) => l.split(" "));
    const at = (p: string) => mounts.find((m) => m[1] === p);
    assertEquals(at("/proc")?.[2], "proc");
    assertEquals(at("/dev")?.[2], "tmpfs");
    assertEquals(at("/dev/pts")?.[2], "devpts");
    assertEquals(at("/dev/shm")?.[2], "tmpfs");
    assertEquals(at("/dev/mqueue")?.[2], "mqueue");
    assertEquals(at("/sys")?.[2], "sysfs");
    assertMatch(at("/sys")?.[3] ?? "", /^ro,/);
    assertMatch(at("/")?.[3] ?? "", /^ro,/);
    assertEquals(at("/sys/fs/cgroup")?.[2], "tmpfs");
    assert(mounts.some((m) => m[1].startsWith("/sys/fs/cgroup/") && m[2] === "cgroup"));
  },
});

Deno.test({
  name: "masked paths are empty and readonly paths refuse writes",
  ...root,
  async fn() {
    // This host has no /proc/kcore or /proc/sysrq-trigger; /proc/timer_list is masked by default.
    const r = await inside(
      "wc -c < /proc/timer_list; ls /sbin | wc -l; ls /bin | wc -l; " +
        "echo x > /proc/sys/kernel/hostname && echo wrote; " +
        "grep ' /proc/sys ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1",
      (s) => s.linux.maskedPaths.push("/sbin"),
    );
    const lines = r.stdout.trim().split("\n").map((s) => s.trim());
    assertEquals(lines[0], "0", "masked file reads empty");
    assertEquals(lines[1], "0", "masked directory is empty");
    assert(Number(lines[2]) > 20, "an unmasked directory keeps its content");
    assert(!lines.includes("wrote"));
    assertEquals(lines.at(-1), "ro");
    assertStringIncludes(r.stderr, "Read-only file system");
  },
});

Deno.test({
  name: "a read-only rootfs refuses writes, a writable one accepts them",
  ...root,
  async fn() {
    const ro = await inside("touch /x 2>&1; echo done");
    assertStringIncludes(ro.stdout, "Read-only file system");
    const rw = await inside(
      "touch /tmp/moat-rw-probe && echo ok; rm -f /tmp/moat-rw-probe",
      (s) => {
        s.root.readonly = false;
      },
    );
    assertEquals(rw.stdout.trim(), "ok");
  },
});

Deno.test({
  name: "capability sets match the config",
  ...root,
  async fn() {
    const r = await inside("grep ^Cap /proc/self/status", (s) => {
      s.process.capabilities = {
        bounding: ["CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
        effective: ["CAP_KILL", "CAP_CHOWN"],
        permitted: ["CAP_KILL", "CAP_CHOWN"],
        inheritable: ["CAP_KILL"],
        ambient: ["CAP_KILL"],
      };
    });
    const caps = Object.fromEntries(
      r.stdout.trim().split("\n").map((l) => l.split(":\t").map((s) => s.trim())),
    );
    // CAP_CHOWN = bit 0, CAP_KILL = bit 5, CAP_NET_BIND_SERVICE = bit 10.
    assertEquals(caps.CapBnd, "0000000000000421");
    // After execve as root the effective/permitted sets are the bounding set's intersection
    // with what the file grants; for uid 0 they are the whole permitted set.
    assertEquals(caps.CapInh, "0000000000000020");
    assertEquals(caps.CapAmb, "0000000000000020");
    assert(caps.CapPrm === "0000000000000021" || caps.CapPrm === "0000000000000421", caps.CapPrm);
  },
});

Deno.test({
  name: "non-root user keeps exactly the configured capabilities",
  ...root,
  async fn() {
    const r = await inside("grep ^Cap /proc/self/status; id", (s) => {
      s.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 65534] };
      s.process.capabilities = {
        bounding: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        effective: ["CAP_NET_BIND_SERVICE"],
        permitted: ["CAP_NET_BIND_SERVICE"],
        inheritable: ["CAP_NET_BIND_SERVICE"],
        ambient: ["CAP_NET_BIND_SERVICE"],
      };
    });
    assertStringIncludes(r.stdout, "CapEff:\t0000000000000400");
    assertStringIncludes(r.stdout, "CapPrm:\t0000000000000400");
    assertStringIncludes(r.stdout, "CapBnd:\t0000000000000420");
    assertStringIncludes(r.stdout, "uid=1000 gid=1000 groups=5(tty),65534(nogroup)");
  },
});

Deno.test({
  name: "rlimits are applied",
  ...root,
  async fn() {
    const r = await inside("ulimit -n; ulimit -Hn; ulimit -c", (s) => {
      s.process.rlimits = [
        { type: "RLIMIT_NOFILE", soft: 321, hard: 654 },
        { type: "RLIMIT_CORE", soft: 0, hard: 0 },
      ];
    });
    assertEquals(r.stdout, "321\n654\n0\n");
  },
});

Deno.test({
  name: "umask, env and cwd",
  ...root,
  async fn() {
    const r = await inside("umask; echo $FOO; pwd", (s) => {
      s.process.user.umask = 0o027;
      s.process.env.push("FOO=bar baz");
      s.process.cwd = "/tmp";
    });
    assertEquals(r.stdout, "0027\nbar baz\n/tmp\n");
  },
});

Deno.test({
  name: "only fds 0, 1 and 2 reach the container",
  ...root,
  async fn() {
    const r = await inside("ls /proc/self/fd");
    // ls itself opens one fd for the directory it lists.
    const fds = r.stdout.trim().split(/\s+/).map(Number).sort((a, b) => a - b);
    assertEquals(fds.slice(0, 3), [0, 1, 2]);
    assert(fds.length <= 4, `fds: ${fds}`);
  },
});

Deno.test({
  name: "exit status and SIGKILL come back from run",
  ...root,
  async fn() {
    assertEquals((await inside("exit 7")).code, 7);
    // PID 1 cannot SIGKILL itself inside its namespace: the kill comes from outside, as engines send it.
    const id = uniqueId("sigkill");
    const running = runBundle(makeBundle(["sleep", "30"]), id);
    await waitFor(async () => (await moat(["state", id])).stdout.includes('"running"'));
    assertEquals((await moat(["kill", id, "KILL"])).code, 0);
    const r = await running;
    assertEquals(r.code, 137);
  },
});

Deno.test({
  name: "default devices and /dev symlinks exist",
  ...root,
  async fn() {
    const r = await inside(
      "ls -l /dev/null /dev/zero /dev/tty | cut -c1-10; for l in fd stdin ptmx; do readlink /dev/$l; done; " +
        "echo x > /dev/null && echo ok",
    );
    assertEquals(r.stdout.split("\n").slice(0, 3), ["crw-rw-rw-", "crw-rw-rw-", "crw-rw-rw-"]);
    assertStringIncludes(r.stdout, "/proc/self/fd\n/proc/self/fd/0\npts/ptmx\nok\n");
  },
});

Deno.test({
  name: "no-new-privileges is set",
  ...root,
  async fn() {
    const on = await inside("grep NoNewPrivs /proc/self/status");
    assertStringIncludes(on.stdout, "NoNewPrivs:\t1");
    const off = await inside("grep NoNewPrivs /proc/self/status", (s) => {
      s.process.noNewPrivileges = false;
    });
    assertStringIncludes(off.stdout, "NoNewPrivs:\t0");
  },
});

Deno.test({
  name: "a bind mount with ro and a symlinked destination stays inside the rootfs",
  ...root,
  async fn() {
    const src = Deno.makeTempDirSync({ prefix: "moat-bind-" });
    Deno.writeTextFileSync(`${src}/hello`, "from host\n");
    const r = await inside(
      "cat /mnt/data/hello; touch /mnt/data/x 2>&1 | grep -c Read-only",
      (s) => {
        s.mounts.push({
          destination: "/mnt/data",
          type: "bind",
          source: src,
          options: ["rbind", "ro"],
        });
      },
    );
    assertEquals(r.stdout, "from host\n1\n");
    Deno.removeSync(src, { recursive: true });
  },
});

Deno.test({
  name: "tmpcopyup: a tmpfs over an image directory starts with its content",
  ...root,
  async fn() {
    const r = await inside(
      "ls /etc | sort | head -3; echo new > /etc/added && cat /etc/added; stat -c %a /etc",
      (s) => {
        s.mounts.push({
          destination: "/etc",
          type: "tmpfs",
          source: "tmpfs",
          options: ["rw", "nosuid", "nodev", "tmpcopyup"],
        });
      },
    );
    assertEquals(r.stdout, "group\nhostname\nhosts\nnew\n755\n", r.stderr);
  },
});

Deno.test({
  name: "mount destinations through symlinks in the image stay inside the rootfs",
  ...root,
  async fn() {
    // The image plants symlinks pointing at a host directory, absolute and relative: following
    // them out (CVE-2021-30465 class) would mount on the host.
    const rootfs = busyboxRootfs();
    const host = Deno.makeTempDirSync({ prefix: "moat-escape-" });
    const name = host.split("/").pop()!;
    const abs = `${rootfs}/esc-abs-${name}`;
    const rel = `${rootfs}/esc-rel-${name}`;
    // The same path exists inside the rootfs: resolved in the root, the symlinks lead there.
    Deno.mkdirSync(`${rootfs}${host}`, { recursive: true });
    Deno.symlinkSync(host, abs);
    Deno.symlinkSync(`../../../../../../../../..${host}`, rel);
    try {
      const r = await inside(`grep -c '${host}/a\\|${host}/b' /proc/self/mounts`, (s) => {
        s.mounts.push({ destination: `/esc-abs-${name}/a`, type: "tmpfs", source: "tmpfs" });
        s.mounts.push({ destination: `/esc-rel-${name}/b`, type: "tmpfs", source: "tmpfs" });
      });
      assertEquals(r.code, 0, r.stderr);
      // both landed inside the rootfs (at <rootfs>/tmp/... as the container sees it)...
      assertEquals(r.stdout.trim(), "2");
      // ...and nothing was created or mounted on the host
      assertEquals([...Deno.readDirSync(host)].length, 0);
      assertEquals(mountsMentioning(host), []);
    } finally {
      Deno.removeSync(abs);
      Deno.removeSync(rel);
      Deno.removeSync(`${rootfs}${host}`, { recursive: true });
      Deno.removeSync(host, { recursive: true });
    }
  },
});
