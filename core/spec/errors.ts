/**
 * Error raised when an OCI `config.json` does not conform to the runtime spec.
 *
 * `path` locates the offending value with dots for object members and `[n]` for array
 * elements (`process.rlimits[1].type`); members of free-form maps (annotations, sysctl,
 * cgroup `unified`, ...) use a JSON-quoted key (`linux.sysctl["net.ipv4.ip_forward"]`)
 * because such keys often contain dots themselves. The document itself is `config`.
 */
export class SpecError extends Error {
  /** Where in the document the problem is, e.g. `linux.namespaces[2].type`. */
  readonly path: string;
  /** The problem without the path, e.g. `unknown namespace "foo"`. */
  readonly what: string;

  constructor(path: string, what: string) {
    super(`${path}: ${what}`);
    this.name = "SpecError";
    this.path = path;
    this.what = what;
  }
}
