// `deno task demo`: makes a default bundle from busybox-static (moat spec + a rootfs) and runs a
// real container in it with bin/moat.
import { busyboxRootfsAt } from "./busybox_rootfs.ts";

const top = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const bundle = `${top}/.cache/demo-bundle`;
Deno.mkdirSync(bundle, { recursive: true });
busyboxRootfsAt(`${bundle}/rootfs`);
const moat = `${top}/bin/moat`;
try {
  Deno.removeSync(`${bundle}/config.json`);
} catch { /* first run */ }
const spec = await new Deno.Command(moat, { args: ["spec", "--bundle", bundle] }).output();
if (!spec.success) Deno.exit(1);
const config = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`));
config.process.terminal = false;
config.hostname = "moat-demo";
config.process.args = [
  "sh",
  "-c",
  'echo "hello from a moat container: hostname $(hostname), pid $$, uid $(id -u)"; ' +
  'echo "mounts: $(wc -l < /proc/self/mounts), capabilities: $(grep CapEff /proc/self/status)"',
];
Deno.writeTextFileSync(`${bundle}/config.json`, JSON.stringify(config, null, 2));
console.log(`bundle: ${bundle}`);
console.log(`$ bin/moat run --bundle ${bundle} demo`);
const run = await new Deno.Command(moat, {
  args: ["run", "--bundle", bundle, `demo-${Deno.pid}`],
  stdin: "null",
  stdout: "inherit",
  stderr: "inherit",
}).spawn().status;
Deno.exit(run.code);
