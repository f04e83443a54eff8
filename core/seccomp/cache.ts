// Compiled filters cached by content: the key is the SHA-256 of the compiler's version and the
// encoded rule list, the value the BPF bytes in <dir>/<key>.bpf (written atomically, mode 0600,
// under the state root, which only root can write). A large profile (Docker's default: ~350
// names) is compiled once per host and read back on every later create.
import type { CompiledFilter, SeccompCompiler } from "./compiler.ts";

export interface CachedFilter extends CompiledFilter {
  key: string;
  hit: boolean;
}

async function sha256(parts: Uint8Array[]): Promise<string> {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function cacheKey(rules: Uint8Array, compiler: SeccompCompiler): Promise<string> {
  return await sha256([new TextEncoder().encode(`${compiler.version}\n`), rules]);
}

function readIfValid(path: string): Uint8Array | undefined {
  try {
    const b = Deno.readFileSync(path);
    return b.length > 0 && b.length % 8 === 0 ? b : undefined;
  } catch {
    return undefined;
  }
}

function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    let off = 0;
    while (off < data.length) off += f.writeSync(data.subarray(off));
    f.syncSync();
  } finally {
    f.close();
  }
  Deno.renameSync(tmp, path);
}

/** The BPF for `rules`, from the cache directory when present (dir undefined: no cache). */
export async function compileCached(
  rules: Uint8Array,
  compiler: SeccompCompiler,
  dir: string | undefined,
): Promise<CachedFilter> {
  const key = await cacheKey(rules, compiler);
  const path = dir ? `${dir}/${key}.bpf` : undefined;
  const cached = path ? readIfValid(path) : undefined;
  if (cached) return { bpf: cached, skipped: [], key, hit: true };
  const out = compiler.compile(rules);
  if (dir && path) {
    try {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeAtomic(path, out.bpf);
    } catch { /* a cache that cannot be written only costs time */ }
  }
  return { ...out, key, hit: false };
}
