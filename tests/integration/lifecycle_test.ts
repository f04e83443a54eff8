// The lifecycle engines drive: create → state → start → exit → delete, with runc's wording and
// exit codes at every wrong step, and nothing left behind.
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, MOAT, uniqueId, WORK } from "../helpers/bundle.ts";
import {
  moat,
  moatToFile,
  mountsMentioning,
  processesMentioning,
  ROOT,
  waitFor,
} from "../helpers/moat.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function state(id: string) {
  const r = await moat(["state", id]);
  return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : undefined };
}

Deno.test({
  name: "create → created → start → running → exit → stopped → delete",
  ...root,
  async fn() {
    Deno.mkdirSync(WORK, { recursive: true });
    const marker = `${WORK}/fifo-${uniqueId()}`;
    const id = uniqueId("life");
    // The container waits for a line on a fifo, so the test decides when it exits.
    new Deno.Command("mkfifo", { args: [marker] }).outputSync();
    const bundle = makeBundle(["sh", "-c", "read x < /mnt/fifo; echo got $x; exit 3"], (s) => {
      s.mounts.push({ destination: "/mnt/fifo", type: "bind", source: marker, options: ["bind"] });
    });
    const pidFile = `${bundle}/init.pid`;
    const out = `${bundle}/out`;
    const c = await moatToFile(["create", "--bundle", bundle, "--pid-file", pidFile, id], out);
    assertEquals(c.code, 0, c.stderr);

    const pidText = Deno.readTextFileSync(pidFile);
    assert(
      /^\d+$/.test(pidText),
      `pid file must be decimal without newline: ${JSON.stringify(pidText)}`,
    );
    let s = await state(id);
    assertEquals(s.code, 0);
    assertEquals(s.stderr, "");
    assert(!s.stdout.endsWith("\n"), "state has no trailing newline");
    assertEquals(s.json.status, "created");
    assertEquals(s.json.pid, Number(pidText));
    assertEquals(s.json.id, id);
    assertEquals(s.json.bundle, bundle);
    assert(alive(s.json.pid));
    assertEquals(Deno.readTextFileSync(out), "", "nothing runs before start");

    const again = await moatToFile(["create", "--bundle", bundle, id], `${out}2`);
    assertEquals(again.code, 1);
    assertStringIncludes(again.stderr, "container with given ID already exists");

    assertEquals((await moat(["kill", id, "0"])).code, 0, "kill 0 probes liveness");
    const st = await moat(["start", id]);
    assertEquals(st.code, 0, st.stderr);
    s = await state(id);
    assertEquals(s.json.status, "running");
    const st2 = await moat(["start", id]);
    assertEquals(st2.code, 1);
    assertStringIncludes(st2.stderr, "cannot start an already running container");
    const del = await moat(["delete", id]);
    assertEquals(del.code, 1);
    assertStringIncludes(del.stderr, `cannot delete container ${id} that is not stopped: running`);

    Deno.writeTextFileSync(marker, "hello\n");
    await waitFor(async () => (await state(id)).json.status === "stopped");
    s = await state(id);
    assertEquals(s.json.pid, 0);
    assertEquals(Deno.readTextFileSync(out), "got hello\n");
    const st3 = await moat(["start", id]);
    assertStringIncludes(st3.stderr, "cannot start a container that has stopped");
    const k = await moat(["kill", id, "KILL"]);
    assertEquals(k.code, 1);
    assertStringIncludes(k.stderr, "container not running");
    assertEquals((await moat(["kill", "--all", id, "KILL"])).code, 0);

    assertEquals((await moat(["delete", id])).code, 0);
    const gone = await state(id);
    assertEquals(gone.code, 1);
    assertStringIncludes(gone.stderr, "container does not exist");
    assertEquals((await moat(["delete", id])).code, 1);
    assertEquals((await moat(["delete", "--force", id])).code, 0);
    assertEquals(mountsMentioning(id), []);
    assertEquals(processesMentioning(id), []);
    let left = true;
    try {
      Deno.statSync(`${ROOT}/${id}`);
    } catch {
      left = false;
    }
    assert(!left, "state directory removed");
    Deno.removeSync(marker);
  },
});

Deno.test({
  name: "kill by name, SIG name and number; delete --force of a running container",
  ...root,
  async fn() {
    const bundle = makeBundle([
      "sh",
      "-c",
      "trap 'echo term; exit 9' TERM; while :; do sleep 0.05; done",
    ]);
    for (const sig of ["TERM", "SIGTERM", "15", "sigterm"]) {
      const id = uniqueId("kill");
      const out = `${bundle}/out-${id}`;
      assertEquals((await moatToFile(["run", "-d", "--bundle", bundle, id], out)).code, 0);
      await new Promise((r) => setTimeout(r, 100));
      assertEquals((await moat(["kill", id, sig])).code, 0);
      await waitFor(async () => (await state(id)).json.status === "stopped");
      assertEquals(Deno.readTextFileSync(out), "term\n");
      assertEquals((await moat(["delete", id])).code, 0);
    }
    const id = uniqueId("force");
    assertEquals(
      (await moatToFile(["run", "--detach", "--bundle", bundle, id], `${bundle}/o`)).code,
      0,
    );
    const pid = (await state(id)).json.pid;
    assertEquals((await moat(["delete", "-f", id])).code, 0);
    assert(!alive(pid));
    assertEquals(processesMentioning(id), []);
  },
});

Deno.test({
  name: "default signal is TERM; delete of a created container needs no --force",
  ...root,
  async fn() {
    const bundle = makeBundle(["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"]);
    const id = uniqueId("def");
    assertEquals((await moatToFile(["run", "-d", "--bundle", bundle, id], `${bundle}/o`)).code, 0);
    await new Promise((r) => setTimeout(r, 100));
    assertEquals((await moat(["kill", id])).code, 0);
    await waitFor(async () => (await state(id)).json.status === "stopped");
    assertEquals((await moat(["delete", id])).code, 0);

    const id2 = uniqueId("created");
    assertEquals((await moatToFile(["create", "--bundle", bundle, id2], `${bundle}/o2`)).code, 0);
    const pid = (await state(id2)).json.pid;
    assertEquals((await moat(["delete", id2])).code, 0);
    assert(!alive(pid));
  },
});

Deno.test({
  name: "missing executable fails create with runc's wording and leaves nothing",
  ...root,
  async fn() {
    const bundle = makeBundle(["no-such-binary"]);
    const id = uniqueId("noexec");
    const r = await moatToFile([
      "--log",
      `${bundle}/log.json`,
      "--log-format",
      "json",
      "create",
      "--bundle",
      bundle,
      id,
    ], `${bundle}/o`);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `exec: "no-such-binary": executable file not found in $PATH`);
    const lines = Deno.readTextFileSync(`${bundle}/log.json`).trim().split("\n");
    assertEquals(lines.length, 1, "exactly one JSON line for podman");
    const entry = JSON.parse(lines[0]);
    assertEquals(entry.level, "error");
    assertStringIncludes(entry.msg, "executable file not found in $PATH");
    assert(!Number.isNaN(Date.parse(entry.time)));
    assertEquals((await state(id)).code, 1);
    assertEquals(processesMentioning(id), []);
    assertEquals(mountsMentioning(id), []);
  },
});

Deno.test({
  name: "an invalid config names the JSON path, exits 1 and leaves no state",
  ...root,
  async fn() {
    const bundle = makeBundle(["true"], (s) => {
      s.process.rlimits = [{ type: "RLIMIT_NOFILE", soft: 1, hard: 1 }, {
        type: "RLIMIT_FOO",
        soft: 1,
        hard: 1,
      }];
    });
    const id = uniqueId("bad");
    const r = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/o`);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, `process.rlimits[1].type: unknown rlimit "RLIMIT_FOO"`);
    assertEquals((await state(id)).code, 1);
  },
});

Deno.test({
  name: "list shows containers in text and JSON",
  ...root,
  async fn() {
    const bundle = makeBundle(["sleep", "10"]);
    const id = uniqueId("list");
    const listRoot = `${WORK}/list-root-${id}`;
    assertEquals(
      (await moatToFile(["create", "--bundle", bundle, id], `${bundle}/o`, listRoot)).code,
      0,
    );
    const j = await moat(["list", "--format", "json"], { root: listRoot });
    const items = JSON.parse(j.stdout);
    assertEquals(items.length, 1);
    assertEquals(items[0].id, id);
    assertEquals(items[0].status, "created");
    assertEquals(items[0].owner, "root");
    const t = await moat(["list"], { root: listRoot });
    assertStringIncludes(t.stdout, "ID");
    assertStringIncludes(t.stdout, id);
    const q = await moat(["list", "-q"], { root: listRoot });
    assertEquals(q.stdout, `${id}\n`);
    assertEquals((await moat(["delete", "--force", id], { root: listRoot })).code, 0);
    assertEquals((await moat(["list", "-format=json"], { root: listRoot })).stdout.trim(), "[]");
  },
});

Deno.test({
  name: "--preserve-fds and LISTEN_FDS hand exactly those fds to the container",
  ...root,
  async fn() {
    const bundle = makeBundle([
      "sh",
      "-c",
      "cat <&3; cat <&4; echo $LISTEN_FDS:$LISTEN_PID; ls /proc/self/fd",
    ]);
    const q = (s: string) => `'${s}'`;
    const moatCmd = (extra: string, id: string) =>
      `${MOAT} --root ${q(ROOT)} run ${extra} --bundle ${q(bundle)} ${id}`;
    Deno.writeTextFileSync(`${bundle}/a`, "first\n");
    Deno.writeTextFileSync(`${bundle}/b`, "second\n");
    const preserved = await new Deno.Command("sh", {
      args: [
        "-c",
        `exec 3<${bundle}/a 4<${bundle}/b 7</dev/null; exec ${
          moatCmd("--preserve-fds 2", uniqueId("pfd"))
        }`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(preserved.stdout);
    assertEquals(preserved.code, 0, new TextDecoder().decode(preserved.stderr));
    assertStringIncludes(out, "first\nsecond\n:\n");
    // 0-2, the two preserved fds, and the one ls opens (5); fd 7 was not asked for.
    const fds = out.split("\n").slice(3).filter((l) => l !== "").map(Number);
    assertEquals(fds, [0, 1, 2, 3, 4, 5]);
    const missing = await new Deno.Command("sh", {
      args: ["-c", `exec ${moatCmd("--preserve-fds 2", uniqueId("pfd"))} 3<&-`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(missing.code, 1);
    assertStringIncludes(
      new TextDecoder().decode(missing.stderr),
      "unable to stat preserved-fd 0 (of 2)",
    );
    // systemd socket activation: LISTEN_PID must be ours, and the container sees LISTEN_PID=1.
    const activated = await new Deno.Command("sh", {
      args: [
        "-c",
        `exec 3<${bundle}/a 4<${bundle}/b; export LISTEN_FDS=2; exec env LISTEN_PID=$$ ${
          moatCmd("", uniqueId("lfd"))
        }`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertStringIncludes(new TextDecoder().decode(activated.stdout), "first\nsecond\n2:1\n");
  },
});

Deno.test({
  name: "create hands its stdio to the container and keeps no copy: the pipe reaches EOF",
  ...root,
  async fn() {
    const bundle = makeBundle(["sh", "-c", "echo from-container"]);
    const id = uniqueId("eof");
    // Like an engine: create's stdout is a pipe we read until EOF after start.
    const child = new Deno.Command(MOAT, {
      args: ["--root", ROOT, "create", "--bundle", bundle, id],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = (async () => new TextDecoder().decode((await child.output()).stdout))();
    await waitFor(async () => (await state(id)).json?.status === "created");
    assertEquals((await moat(["start", id])).code, 0);
    // EOF arrives only when every copy of the write end is closed: moat, the sentry and the
    // container's init must all have let go once the container exits.
    const out = await reader;
    assertEquals(out, "from-container\n");
    await waitFor(async () => (await state(id)).json.status === "stopped");
    assertEquals((await moat(["delete", id])).code, 0);
  },
});

Deno.test({
  name: "the sentry keeps answering while a start is in progress (a slow startContainer hook)",
  ...root,
  async fn() {
    const bundle = makeBundle(["echo", "started"], (s) => {
      s.hooks = { startContainer: [{ path: "/bin/sleep", args: ["sleep", "3"], timeout: 20 }] };
    });
    const id = uniqueId("slowstart");
    assertEquals((await moatToFile(["create", "--bundle", bundle, id], `${bundle}/o`)).code, 0);
    let startDone = false;
    const starting = moat(["start", id]).then((r) => {
      startDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 400));
    const s = await state(id);
    assert(!startDone, "start is still waiting for the hook");
    assertEquals(s.json.status, "created", "state answers during the start");
    // kill goes through the sentry: it must answer while the start still waits for the 3 s hook
    // (a sentry blocked in start would answer only when the hook is done)
    const t0 = Date.now();
    assertEquals((await moat(["kill", id, "0"])).code, 0);
    assert(Date.now() - t0 < 1500, `kill took ${Date.now() - t0} ms`);
    assert(!startDone, "start is still in progress");
    const r = await starting;
    assertEquals(r.code, 0, r.stderr);
    await waitFor(async () => (await state(id)).json.status === "stopped");
    assertEquals(Deno.readTextFileSync(`${bundle}/o`), "started\n");
    assertEquals((await moat(["delete", id])).code, 0);
  },
});
