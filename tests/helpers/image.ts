// Docker-archive images made without a network or a daemon (the busybox-static rootfs, the CRI
// tests' pause image), so podman (`podman load`) and containerd (`ctr images import`) can run
// them. One layer; the layer tarball is deterministic (sorted, numeric owners, mtime 0).
import { busyboxRootfs, WORK } from "./bundle.ts";

export const IMAGE = "localhost/busybox:latest";

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", Deno.readFileSync(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function tar(args: string[]): Promise<void> {
  const r = await new Deno.Command("tar", { args, stderr: "piped" }).output();
  if (!r.success) throw new Error(`tar ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
}

export function busyboxImage(): Promise<string> {
  return dockerArchive(
    `${WORK}/busybox-docker.tar`,
    busyboxRootfs(),
    IMAGE,
    ["sh"],
    "busybox-static rootfs",
  );
}

/**
 * A one-layer docker-archive of `rootfs` tagged `tag` (built once: an existing `out` is reused),
 * importable by `podman load` and `ctr images import`.
 */
export async function dockerArchive(
  out: string,
  rootfs: string,
  tag: string,
  cmd: string[],
  about = tag,
): Promise<string> {
  try {
    Deno.statSync(out);
    return out;
  } catch { /* build it */ }
  const dir = `${out}.build-${Deno.pid}`;
  Deno.mkdirSync(`${dir}/layer`, { recursive: true });
  await tar([
    "--sort=name",
    "--numeric-owner",
    "--owner=0",
    "--group=0",
    "--mtime=@0",
    "-C",
    rootfs,
    "-cf",
    `${dir}/layer/layer.tar`,
    ".",
  ]);
  const diffId = await sha256(`${dir}/layer/layer.tar`);
  const config = {
    architecture: "amd64",
    os: "linux",
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: cmd,
      WorkingDir: "/",
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
    history: [{ created_by: `moat tests: ${about}` }],
  };
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(config));
  const configId = await sha256(`${dir}/config.json`);
  Deno.renameSync(`${dir}/config.json`, `${dir}/${configId}.json`);
  Deno.writeTextFileSync(
    `${dir}/manifest.json`,
    JSON.stringify([{
      Config: `${configId}.json`,
      RepoTags: [tag],
      Layers: ["layer/layer.tar"],
    }]),
  );
  await tar(["-C", dir, "-cf", `${out}.tmp`, "manifest.json", `${configId}.json`, "layer"]);
  Deno.renameSync(`${out}.tmp`, out);
  Deno.removeSync(dir, { recursive: true });
  return out;
}
