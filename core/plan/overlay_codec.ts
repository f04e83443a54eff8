// Encoding and decoding of the overlay tags 120-139 (sentry/PROTOCOL.md §12).
import type { AttrWriter } from "./attrs_codec.ts";
import { type PlanRecord, records, recStr, recU64 } from "./records.ts";
import { OverlayTag, Tag } from "./tags.ts";
import type { LaunchPlan, PlanOverlay } from "./types.ts";

export function encodeOverlays(w: AttrWriter, overlays: readonly PlanOverlay[]): void {
  for (const o of overlays) {
    w.nest(Tag.OVERLAY, (n) => {
      n.str(OverlayTag.LOWER, o.lower);
      n.str(OverlayTag.UPPER, o.upper);
      n.str(OverlayTag.WORK, o.work);
      n.str(OverlayTag.TARGET, o.target);
      n.str(OverlayTag.TMPFS, o.tmpfs);
      n.str(OverlayTag.TMPFS_DATA, o.tmpfsData);
      n.flag(OverlayTag.FILE, o.file === true);
    });
  }
}

export function isOverlayTag(tag: number): boolean {
  return tag === Tag.OVERLAY;
}

export function decodeOverlay(p: LaunchPlan, r: PlanRecord): void {
  const o: PlanOverlay = { lower: "", upper: "", work: "", target: "" };
  for (const n of records(r.value, "overlay")) {
    switch (n.tag) {
      case OverlayTag.LOWER:
        o.lower = recStr(n);
        break;
      case OverlayTag.UPPER:
        o.upper = recStr(n);
        break;
      case OverlayTag.WORK:
        o.work = recStr(n);
        break;
      case OverlayTag.TARGET:
        o.target = recStr(n);
        break;
      case OverlayTag.TMPFS:
        o.tmpfs = recStr(n);
        break;
      case OverlayTag.TMPFS_DATA:
        o.tmpfsData = recStr(n);
        break;
      case OverlayTag.FILE:
        o.file = recU64(n) === 1n;
        break;
      default:
        throw new Error(`plan: overlay: unknown tag ${n.tag}`);
    }
  }
  (p.overlays ??= []).push(o);
}
