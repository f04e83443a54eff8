// An overlayfs upper directory as an OCI image layer tar (image-spec layer.md): files,
// directories, symlinks, hard links, devices and fifos as they are; overlayfs whiteouts
// (0:0 character devices) as `.wh.NAME`; opaque directories (trusted.overlay.opaque=y) with a
// `.wh..wh..opq` entry. POSIX ustar, with pax extended headers for what ustar cannot hold (long
// names and link targets, big sizes and ids).

export interface TarFs {
  lstat(path: string): Deno.FileInfo;
  readDir(path: string): string[];
  readLink(path: string): string;
  /** A trusted.overlay.* extended attribute of a directory, or undefined. */
  xattr(path: string, name: string): string | undefined;
  open(path: string): Deno.FsFile;
}

const enc = new TextEncoder();
const BLOCK = 512;

/** Writes `n` as zero-padded octal in `len` bytes (len-1 digits and a NUL), or false. */
function octal(buf: Uint8Array, off: number, len: number, n: number): boolean {
  const s = n.toString(8);
  if (s.length > len - 1) return false;
  buf.set(enc.encode(s.padStart(len - 1, "0")), off);
  buf[off + len - 1] = 0;
  return true;
}

function pax(records: Record<string, string>): Uint8Array {
  let body = "";
  for (const [k, v] of Object.entries(records)) {
    // "%d %s=%s\n" where %d counts the whole record, itself included
    const rest = ` ${k}=${v}\n`;
    const len = enc.encode(rest).length;
    let n = len + 1;
    while (len + String(n).length !== n) n = len + String(n).length;
    body += `${n}${rest}`;
  }
  return enc.encode(body);
}

interface Entry {
  name: string;
  type: "0" | "1" | "2" | "3" | "4" | "5" | "6";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

export class TarWriter {
  #out: Deno.FsFile;
  constructor(out: Deno.FsFile) {
    this.#out = out;
  }

  #write(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += this.#out.writeSync(b.subarray(off));
  }

  #header(e: Entry, name: string, linkname: string, type: string): Uint8Array {
    const h = new Uint8Array(BLOCK);
    const nb = enc.encode(name);
    h.set(nb.subarray(0, 100), 0);
    octal(h, 100, 8, e.mode & 0o7777);
    octal(h, 108, 8, e.uid);
    octal(h, 116, 8, e.gid);
    octal(h, 124, 12, e.size);
    octal(h, 136, 12, Math.max(0, Math.floor(e.mtime)));
    h[156] = type.charCodeAt(0);
    h.set(enc.encode(linkname).subarray(0, 100), 157);
    h.set(enc.encode("ustar\0"), 257);
    h.set(enc.encode("00"), 263);
    octal(h, 329, 8, e.devmajor ?? 0);
    octal(h, 337, 8, e.devminor ?? 0);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    octal(h, 148, 7, sum);
    h[155] = 0x20;
    return h;
  }

  /** One entry; `data` is the content of a regular file (size bytes). */
  add(e: Entry, data?: Deno.FsFile): void {
    const ext: Record<string, string> = {};
    if (enc.encode(e.name).length > 100) ext.path = e.name;
    if (e.linkname && enc.encode(e.linkname).length > 100) ext.linkpath = e.linkname;
    if (e.size > 0o77777777777) ext.size = String(e.size);
    if (e.uid > 0o7777777) ext.uid = String(e.uid);
    if (e.gid > 0o7777777) ext.gid = String(e.gid);
    if (Object.keys(ext).length) {
      const body = pax(ext);
      const short = { ...e, size: body.length, uid: 0, gid: 0, mode: 0o644 };
      this.#write(this.#header(short, `PaxHeaders/${e.name}`.slice(0, 99), "", "x"));
      this.#write(body);
      this.#pad(body.length);
    }
    const clamp = {
      ...e,
      size: ext.size ? 0 : e.size,
      uid: ext.uid ? 0 : e.uid,
      gid: ext.gid ? 0 : e.gid,
    };
    this.#write(this.#header(clamp, e.name, e.linkname ?? "", e.type));
    if (data) {
      const buf = new Uint8Array(65536);
      let left = e.size;
      while (left > 0) {
        const n = data.readSync(buf.subarray(0, Math.min(buf.length, left)));
        if (n === null || n === 0) throw new Error(`${e.name}: file shrank while being read`);
        this.#write(buf.subarray(0, n));
        left -= n;
      }
      this.#pad(e.size);
    }
  }

  #pad(n: number): void {
    const r = n % BLOCK;
    if (r) this.#write(new Uint8Array(BLOCK - r));
  }

  /** The two zero blocks that end an archive. */
  end(): void {
    this.#write(new Uint8Array(BLOCK * 2));
  }
}

/** Writes the layer of `upper` to `out`; returns the number of entries. */
export function writeUpperTar(upper: string, out: Deno.FsFile, fs: TarFs): number {
  const tar = new TarWriter(out);
  const links = new Map<string, string>();
  let count = 0;
  const walk = (rel: string) => {
    const names = fs.readDir(upper + rel).sort();
    for (const name of names) {
      const path = `${upper}${rel}/${name}`;
      const tname = `${rel}/${name}`.slice(1);
      const st = fs.lstat(path);
      const base = {
        mode: st.mode ?? 0,
        uid: st.uid ?? 0,
        gid: st.gid ?? 0,
        size: 0,
        mtime: (st.mtime?.getTime() ?? 0) / 1000,
      };
      if (st.isCharDevice && st.rdev === 0) {
        // an overlayfs whiteout: the lower's NAME is deleted
        const wh = `${rel}/.wh.${name}`.slice(1);
        tar.add({ ...base, name: wh, type: "0", mode: 0o644 });
        count++;
        continue;
      }
      if (st.isDirectory) {
        tar.add({ ...base, name: `${tname}/`, type: "5" });
        count++;
        if (fs.xattr(path, "trusted.overlay.opaque") === "y") {
          tar.add({ ...base, name: `${tname}/.wh..wh..opq`, type: "0", mode: 0o644 });
          count++;
        }
        walk(`${rel}/${name}`);
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (!st.isDirectory && (st.nlink ?? 1) > 1 && links.has(key)) {
        tar.add({ ...base, name: tname, type: "1", linkname: links.get(key) });
        count++;
        continue;
      }
      if ((st.nlink ?? 1) > 1) links.set(key, tname);
      if (st.isSymlink) {
        tar.add({ ...base, name: tname, type: "2", linkname: fs.readLink(path) });
      } else if (st.isFile) {
        const f = fs.open(path);
        try {
          tar.add({ ...base, name: tname, type: "0", size: st.size }, f);
        } finally {
          f.close();
        }
      } else if (st.isFifo) {
        tar.add({ ...base, name: tname, type: "6" });
      } else if (st.isCharDevice || st.isBlockDevice) {
        const rdev = st.rdev ?? 0;
        tar.add({
          ...base,
          name: tname,
          type: st.isCharDevice ? "3" : "4",
          devmajor: Math.floor(rdev / 256) & 0xfff,
          devminor: (rdev & 0xff) | ((Math.floor(rdev / 4096) & 0xfff00) >>> 0),
        });
      } else continue; // sockets have no tar form
      count++;
    }
  };
  walk("");
  tar.end();
  return count;
}
