// The state store under --root: one directory per container holding state.json (written
// atomically), a lock file (flock) and the sentry's socket.
import { ERR_EXISTS, ERR_INVALID_ID, ERR_NOT_EXIST, RuntimeError } from "./errors.ts";
import type { ContainerRecord } from "./types.ts";

const ID_RE = /^[A-Za-z0-9_+.-]+$/;

export function validateId(id: string): void {
  if (!ID_RE.test(id) || id === "." || id === "..") throw new RuntimeError(ERR_INVALID_ID);
}

export interface Lock {
  release(): void;
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return `${this.root}/${id}`;
  }

  statePath(id: string): string {
    return `${this.dir(id)}/state.json`;
  }

  /**
   * Claims `id` for a new container: mkdir is the atomic check-and-create, so of two concurrent
   * creates exactly one wins; the winner holds the container's lock until `release`.
   */
  claim(id: string): Lock {
    validateId(id);
    Deno.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      Deno.mkdirSync(this.dir(id), { mode: 0o700 });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) throw new RuntimeError(ERR_EXISTS);
      throw e;
    }
    return this.lock(id);
  }

  /** Exclusive flock on the container's lock file, held across a whole operation. */
  lock(id: string): Lock {
    const file = Deno.openSync(`${this.dir(id)}/lock`, { create: true, write: true, mode: 0o600 });
    file.lockSync(true);
    return {
      release() {
        try {
          file.unlockSync();
        } finally {
          file.close();
        }
      },
    };
  }

  /** Exact id first; otherwise a unique prefix (runc and runsc behave the same). */
  lookup(idOrPrefix: string): string {
    if (idOrPrefix === "" || idOrPrefix.includes("/")) throw new RuntimeError(ERR_NOT_EXIST);
    if (exists(this.statePath(idOrPrefix))) return idOrPrefix;
    const matches = this.list().filter((id) => id.startsWith(idOrPrefix));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new RuntimeError(`container id prefix "${idOrPrefix}" is ambiguous`);
    }
    throw new RuntimeError(ERR_NOT_EXIST);
  }

  read(id: string): ContainerRecord {
    try {
      return JSON.parse(Deno.readTextFileSync(this.statePath(id)));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new RuntimeError(ERR_NOT_EXIST);
      throw e;
    }
  }

  /** Temp file, fsync, rename: a reader never sees a partial state. */
  write(record: ContainerRecord): void {
    writeFileAtomic(this.statePath(record.id), JSON.stringify(record));
  }

  list(): string[] {
    try {
      return [...Deno.readDirSync(this.root)]
        .filter((e) => e.isDirectory && !e.name.startsWith(".") && exists(this.statePath(e.name)))
        .map((e) => e.name)
        .sort();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
  }

  remove(id: string): void {
    validateId(id);
    try {
      Deno.removeSync(this.dir(id), { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
}

export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  const slash = path.lastIndexOf("/");
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${Deno.pid}.tmp`;
  const file = Deno.openSync(tmp, { create: true, write: true, truncate: true, mode });
  try {
    const bytes = new TextEncoder().encode(data);
    let off = 0;
    while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    file.syncSync();
  } finally {
    file.close();
  }
  Deno.renameSync(tmp, path);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
