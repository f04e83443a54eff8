// Egress rules as users write them: `CIDR` or `CIDR:port`, IPv4 or IPv6. A bare address is a
// single host (/32, /128); an IPv6 address with a port and no prefix needs brackets
// (`[2001:db8::1]:443`), since its colons would be ambiguous. The sentry matches IPv4-mapped IPv6
// destinations (::ffff:a.b.c.d) as IPv4, so an IPv4 rule cannot be side-stepped through them.

export interface Cidr {
  family: 4 | 6;
  /** 4 or 16 bytes, host bits cleared. */
  addr: Uint8Array;
  prefix: number;
  /** 0: any port. */
  port: number;
  /** Normalised text (for state and errors). */
  text: string;
}

export function parseCidrList(list: string): Cidr[] {
  return list.split(",").map((s) => s.trim()).filter(Boolean).map(parseCidr);
}

export function parseCidr(input: string): Cidr {
  const bad = (why: string): never => {
    throw new Error(`invalid CIDR ${JSON.stringify(input)}: ${why}`);
  };
  let s = input;
  let port = 0;
  const takePort = (p: string) => {
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) bad("port must be 1..65535");
    port = Number(p);
  };
  if (s.startsWith("[")) {
    // [v6]:port or [v6]/N:port
    const close = s.indexOf("]");
    if (close < 0) bad("unclosed [");
    const rest = s.slice(close + 1);
    const inner = s.slice(1, close);
    const m = /^(\/\d+)?(?::(.*))?$/.exec(rest);
    if (!m) bad("expected [address]/prefix:port");
    if (m![2] !== undefined) takePort(m![2]);
    s = inner + (m![1] ?? "");
  } else if (s.includes("/")) {
    const slash = s.indexOf("/");
    const after = s.slice(slash + 1);
    const colon = after.indexOf(":");
    if (colon >= 0) {
      takePort(after.slice(colon + 1));
      s = s.slice(0, slash + 1 + colon);
    }
  } else if (/^[\d.]+:\d+$/.test(s)) {
    const colon = s.lastIndexOf(":");
    takePort(s.slice(colon + 1));
    s = s.slice(0, colon);
  }
  const slash = s.indexOf("/");
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const v4 = parseIPv4(addrText);
  const addr = v4 ?? parseIPv6(addrText);
  if (!addr) bad("not an IPv4 or IPv6 address");
  const family: 4 | 6 = v4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) bad(`prefix must be 0..${max}`);
    prefix = Number(p);
  }
  const masked = mask(addr!, prefix);
  const text = `${family === 4 ? formatIPv4(masked) : formatIPv6(masked)}/${prefix}` +
    (port ? `:${port}` : "");
  return { family, addr: masked, prefix, port, text };
}

function mask(addr: Uint8Array, prefix: number): Uint8Array {
  const out = addr.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] &= keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

export function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9]\d{0,2})$/.test(parts[i]) || Number(parts[i]) > 255) return null;
    out[i] = Number(parts[i]);
  }
  return out;
}

export function parseIPv6(s: string): Uint8Array | null {
  if (s.includes("%")) return null; // a zone id names an interface, not a destination
  let tail4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (!tail4) return null;
    s = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return null;
    const v = parseInt(all[i], 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

function formatIPv4(a: Uint8Array): string {
  return [...a].join(".");
}

function formatIPv6(a: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((a[i * 2] << 8) | a[i * 2 + 1]);
  // the longest run of zero groups (two or more) becomes "::"
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}
