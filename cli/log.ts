// --log / --log-format: runc writes logrus lines; engines parse the JSON form (`{level,msg,time}`,
// RFC 3339 time) and Podman reads the whole file as one object, so a failure writes one line.

export type LogFormat = "text" | "json";

export class CliLogger {
  #file?: Deno.FsFile;
  constructor(
    readonly path: string | undefined,
    readonly format: LogFormat,
    readonly debugOn: boolean,
  ) {
    if (path) {
      // Created even when the command fails early: containerd reads it on every failure.
      this.#file = Deno.openSync(path, { create: true, append: true, mode: 0o644 });
    }
  }

  #line(level: string, msg: string): string {
    const time = new Date().toISOString();
    if (this.format === "json") return JSON.stringify({ level, msg, time }) + "\n";
    return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
  }

  #write(level: string, msg: string): void {
    const line = new TextEncoder().encode(this.#line(level, msg));
    if (this.#file) this.#file.writeSync(line);
    else Deno.stderr.writeSync(line);
  }

  debug(msg: string): void {
    if (this.debugOn) this.#write("debug", msg);
  }

  /** Always written, as runc's logrus does at its default level (a failed poststop hook). */
  warn(msg: string): void {
    this.#write("warning", msg);
  }

  /**
   * The one error line of a failed command goes to the --log file; stderr gets the plain text
   * (a person at a shell reads it, and engines that capture stderr match its substrings).
   */
  error(msg: string): void {
    if (this.#file) this.#write("error", msg);
    Deno.stderr.writeSync(new TextEncoder().encode(msg + "\n"));
  }

  close(): void {
    this.#file?.close();
  }
}
