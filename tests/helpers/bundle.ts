// Shared test helper: a busybox-static rootfs and bundles made from it. The rootfs is built once
// per test run under tests/.work (ignored by git) and shared read-only by every bundle.

const TOP = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const WORK = `${TOP}/tests/.work`;
export const MOAT = `${TOP}/bin/moat`;

export function isRoot(): boolean {
  return Deno.uid() === 0;
}

import { defaultSpec } from "../../core/bundle/default_spec.ts";
import { busyboxRootfsAt } from "../../tools/busybox_rootfs.ts";

/** The shared busybox-static rootfs of this test run (built once). */
export function busyboxRootfs(): string {
  return busyboxRootfsAt(`${WORK}/rootfs`);
}

// deno-lint-ignore no-explicit-any
export type SpecObject = Record<string, any>;

let counter = 0;

/** A fresh bundle directory whose config.json is runc's default spec, adjusted by `edit`. */
export function makeBundle(args: string[], edit?: (spec: SpecObject) => void): string {
  const rootfs = busyboxRootfs();
  // unique across test modules too: each module has its own counter in the same process
  const dir = `${WORK}/bundles/b${Deno.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  Deno.mkdirSync(dir, { recursive: true });
  const spec: SpecObject = defaultSpec();
  spec.root.path = rootfs;
  spec.process.terminal = false;
  spec.process.args = args;
  edit?.(spec);
  Deno.writeTextFileSync(`${dir}/config.json`, JSON.stringify(spec, null, 2));
  return dir;
}

export function uniqueId(prefix = "t"): string {
  return `${prefix}-${Deno.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}
