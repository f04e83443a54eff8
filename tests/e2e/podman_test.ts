// podman (with conmon) using bin/moat as its OCI runtime, on an image built locally from the
// busybox-static rootfs. Each check is what a podman user does; the engine parses moat's
// output, pid files and log.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot } from "../helpers/bundle.ts";
import { have, Podman } from "../helpers/engines.ts";
import { IMAGE } from "../helpers/image.ts";

const enabled = isRoot() && have("podman");
const opts = { ignore: !enabled, sanitizeResources: false, sanitizeOps: false };
let pm: Podman;

async function podman() {
  if (!pm) {
    pm = new Podman();
    await pm.setup();
  }
  return pm;
}

Deno.test({
  name: "podman: run --rm prints the container's output",
  ...opts,
  async fn() {
    const p = await podman();
    const r = await p.podman(["run", "--rm", "--network", "none", IMAGE, "echo", "hi from moat"]);
    assertEquals(r.stdout, "hi from moat\n", r.stderr);
    assertEquals(r.code, 0);
  },
});

Deno.test({
  name: "podman: exit codes, 127 for a missing executable, 137 after kill -s KILL",
  ...opts,
  async fn() {
    const p = await podman();
    assertEquals(
      (await p.podman(["run", "--rm", "--network", "none", IMAGE, "sh", "-c", "exit 7"])).code,
      7,
    );
    const missing = await p.podman(["run", "--rm", "--network", "none", IMAGE, "no-such-command"]);
    assertEquals(missing.code, 127);
    assertStringIncludes(missing.stderr, "executable file not found in $PATH");
    const d = await p.podman(["run", "-d", "--network", "none", IMAGE, "sleep", "100"]);
    assertEquals(d.code, 0, d.stderr);
    const id = d.stdout.trim();
    assertEquals((await p.podman(["kill", "-s", "KILL", id])).code, 0);
    const w = await p.podman(["wait", id]);
    assertEquals(w.stdout.trim(), "137");
    assertEquals((await p.podman(["rm", id])).code, 0);
  },
});

Deno.test({
  name: "podman: --user, --read-only (tmpcopyup tmpfs), --cap-drop ALL, volumes",
  ...opts,
  async fn() {
    const p = await podman();
    const vol = Deno.makeTempDirSync();
    Deno.writeTextFileSync(`${vol}/f`, "from a volume\n");
    Deno.chmodSync(vol, 0o755);
    const r = await p.podman([
      "run",
      "--rm",
      "--network",
      "none",
      "--user",
      "1000:1000",
      "--read-only",
      "--cap-drop",
      "ALL",
      "-v",
      `${vol}:/data`,
      IMAGE,
      "sh",
      "-c",
      "id -u; touch /x 2>/dev/null || echo ro; touch /tmp/ok && echo tmp-rw; grep CapEff /proc/self/status; cat /data/f",
    ]);
    assertEquals(
      r.stdout,
      "1000\nro\ntmp-rw\nCapEff:\t0000000000000000\nfrom a volume\n",
      r.stderr,
    );
    Deno.removeSync(vol, { recursive: true });
  },
});

Deno.test({
  name: "podman: run -d, exec, stop, rm",
  ...opts,
  async fn() {
    const p = await podman();
    const id = await p.detached("trap 'exit 0' TERM; while :; do sleep 0.1; done");
    try {
      const e = await p.podman(["exec", id, "sh", "-c", "echo exec-ok; exit 4"]);
      assertEquals([e.stdout, e.code], ["exec-ok\n", 4], e.stderr);
      const env = await p.podman([
        "exec",
        "-u",
        "1000",
        "-w",
        "/tmp",
        "-e",
        "X=1",
        id,
        "sh",
        "-c",
        "id -u; pwd; echo $X",
      ]);
      assertEquals(env.stdout, "1000\n/tmp\n1\n", env.stderr);
      // top reads /proc in the mount namespace of the pid moat reported (the sentry's, which
      // enters the container's): the container's processes, none of the host's.
      const top = await p.podman(["top", id, "pid", "args"]);
      assertEquals(top.code, 0, top.stderr);
      const rows = top.stdout.trim().split("\n").slice(1).map((l) => l.trim());
      assert(rows.some((r) => /^1\s+sh -c trap/.test(r)), top.stdout);
      assert(rows.length <= 3, top.stdout);
      assertEquals((await p.podman(["stop", "-t", "5", id])).code, 0);
      const inspect = await p.podman([
        "inspect",
        "--format",
        "{{.State.Status}} {{.State.ExitCode}}",
        id,
      ]);
      assertEquals(inspect.stdout.trim(), "exited 0");
    } finally {
      assertEquals((await p.podman(["rm", "-f", id])).code, 0);
    }
  },
});

Deno.test({
  name: "podman: run -t gets a terminal through the console socket",
  ...opts,
  async fn() {
    const p = await podman();
    const line = p.shellLine([
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
    const r = await new Deno.Command("script", {
      args: ["-qec", line, "/dev/null"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout).replaceAll("\r", "");
    assertStringIncludes(out, "/dev/pts/0\nis-a-tty\n");
    assert(r.success);
  },
});

Deno.test({
  name: "podman: pause and unpause freeze the container",
  ...opts,
  async fn() {
    const p = await podman();
    const id = await p.detached("i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done");
    const counter = async () =>
      Number((await p.podman(["exec", id, "cat", "/tmp/n"])).stdout.trim());
    try {
      await new Promise((r) => setTimeout(r, 200));
      assertEquals((await p.podman(["pause", id])).code, 0);
      const state = await p.podman(["inspect", "--format", "{{.State.Status}}", id]);
      assertEquals(state.stdout.trim(), "paused");
      // exec is refused while paused, so read the counter through the host's view of the rootfs
      const mnt = (await p.podman(["mount", id], false)).stdout.trim();
      const a = Deno.readTextFileSync(`${mnt}/tmp/n`);
      await new Promise((r) => setTimeout(r, 300));
      assertEquals(Deno.readTextFileSync(`${mnt}/tmp/n`), a, "frozen: the counter does not move");
      assertEquals((await p.podman(["unpause", id])).code, 0);
      const before = await counter();
      await new Promise((r) => setTimeout(r, 300));
      assert((await counter()) > before, "thawed: the counter moves again");
    } finally {
      await p.podman(["rm", "-f", "-t", "0", id]);
    }
  },
});
