/* Test harness for the sentry's virtual files (sentry/vfs_fuse.c, sentry/vproc.c), built by
 * tests/helpers/vfs_harness.ts with musl-gcc -static.
 *
 *   render [--v2] [--uptime S] ROOT NAME...   renderers on a fake tree: ROOT/{memory,cpu,
 *       cpuacct,cpuset,blkio,pids} (or ROOT/cgroup with --v2) and ROOT/proc as the host's
 *       /proc. NAME: a file of vfs_proc_files, "sysinfo", or "sample" (one load sample).
 *   serve [options] -- CMD...   a real cgroup (v1) and the FUSE server: a workload process
 *       joins the cgroup, unshares a mount namespace, mounts and binds the files as the init
 *       will, and runs CMD; a server process answers /dev/fuse like the sentry's loop.
 *   probe OP ...   small checks run by CMD inside the workload.
 */
#include "fuse_kabi.h"
#include "kabi.h"
#include "vfs_fuse.h"
#include "vproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
	static const struct {
		int e;
		const char *n;
	} t[] = {{EROFS, "EROFS"},   {ENOENT, "ENOENT"}, {ENOTCONN, "ENOTCONN"}, {EACCES, "EACCES"},
		 {EPERM, "EPERM"},   {ENOSYS, "ENOSYS"}, {EISDIR, "EISDIR"},     {ENOTDIR, "ENOTDIR"},
		 {EBADF, "EBADF"},   {EINVAL, "EINVAL"}, {EIO, "EIO"},           {ENODEV, "ENODEV"},
		 {EEXIST, "EEXIST"}, {EXDEV, "EXDEV"},   {ENOTSUP, "ENOTSUP"},   {0, "0"}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].e == e)
			return t[i].n;
	static char buf[16];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A render into a growing buffer, as vfs_fuse.c does it. */
static char *render_all(const struct vfs_file *f, void *ctx, size_t *len)
{
	size_t cap = 16;
	char *buf = malloc(cap);
	for (;;) {
		size_t n = f->render(ctx, buf, cap);
		if (n <= cap) {
			*len = n;
			return buf;
		}
		cap = n;
		buf = realloc(buf, cap);
	}
}

/* ---- render: the renderers on a fake tree ---- */

static int open_dir(const char *root, const char *sub)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", root, sub);
	return open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void print_sysinfo(const struct vproc_view *v)
{
	struct moat_ksysinfo si;
	if (vproc_sysinfo(v, &si) < 0)
		die("vproc_sysinfo: %s", strerror(errno));
	printf("uptime=%lld loads=%llu,%llu,%llu totalram=%llu freeram=%llu sharedram=%llu "
	       "bufferram=%llu totalswap=%llu freeswap=%llu procs=%u mem_unit=%u\n",
	       (long long)si.uptime, (unsigned long long)si.loads[0],
	       (unsigned long long)si.loads[1], (unsigned long long)si.loads[2],
	       (unsigned long long)si.totalram, (unsigned long long)si.freeram,
	       (unsigned long long)si.sharedram, (unsigned long long)si.bufferram,
	       (unsigned long long)si.totalswap, (unsigned long long)si.freeswap, si.procs,
	       si.mem_unit);
}

static const struct vfs_file *proc_file(const char *name)
{
	for (size_t i = 0; i < vfs_proc_nfiles; i++)
		if (!strcmp(vfs_proc_files[i].name, name))
			return &vfs_proc_files[i];
	return NULL;
}

static int cmd_render(int argc, char **argv)
{
	struct vproc_view v;
	if (vproc_view_init(&v) < 0)
		die("vproc_view_init: %s", strerror(errno));
	int i = 0;
	uint64_t uptime_s = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--v2"))
			v.cgroup_v2 = 1;
		else if (!strcmp(argv[i], "--uptime") && i + 1 < argc)
			uptime_s = strtoull(argv[++i], NULL, 10);
		else
			die("render: unknown option %s", argv[i]);
	}
	if (i >= argc)
		die("render: no root");
	const char *root = argv[i++];
	if (v.cgroup_v2) {
		int d = open_dir(root, "cgroup");
		v.mem_dir = v.cpu_dir = v.cpuacct_dir = v.cpuset_dir = v.blkio_dir = v.pids_dir = d;
	} else {
		v.mem_dir = open_dir(root, "memory");
		v.cpu_dir = open_dir(root, "cpu");
		v.cpuacct_dir = open_dir(root, "cpuacct");
		v.cpuset_dir = open_dir(root, "cpuset");
		v.blkio_dir = open_dir(root, "blkio");
		v.pids_dir = open_dir(root, "pids");
	}
	v.host_proc = open_dir(root, "proc");
	v.start_boottime_ns = now_ns(CLOCK_BOOTTIME) - uptime_s * 1000000000ull;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "sample")) {
			vproc_sample(&v);
			continue;
		}
		printf("==> %s\n", argv[i]);
		if (!strcmp(argv[i], "sysinfo")) {
			print_sysinfo(&v);
			continue;
		}
		const struct vfs_file *f = proc_file(argv[i]);
		if (!f)
			die("render: no file %s", argv[i]);
		size_t len;
		char *full = render_all(f, &v, &len);
		/* the snprintf contract: a short buffer gets a prefix, nothing beyond cap, and the
		 * full length back */
		size_t half = len / 2;
		char *part = malloc(half + 8);
		memset(part, 0x5a, half + 8);
		size_t n = f->render(&v, part, half);
		for (size_t k = half; k < half + 8; k++)
			if (part[k] != 0x5a)
				die("render %s: wrote beyond cap", argv[i]);
		if (n != len || memcmp(part, full, half))
			die("render %s: a short buffer got %zu (not %zu) or another prefix", argv[i], n,
			    len);
		fwrite(full, 1, len, stdout);
		free(part);
		free(full);
	}
	return 0;
}

/* ---- probe: run inside the workload ---- */

static int probe_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, errname(errno));
	return fd;
}

static double bench(const char *path, int iters)
{
	char buf[65536];
	double best = 1e30;
	for (int round = 0; round < 5; round++) {
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		for (int k = 0; k < iters; k++) {
			int fd = probe_open(path);
			while (read(fd, buf, sizeof buf) > 0)
				;
			close(fd);
		}
		double us = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1000.0 / iters;
		if (us < best)
			best = us;
	}
	return best;
}

static int probe_errno(const char *op, const char *path)
{
	char other[4096];
	snprintf(other, sizeof other, "%s.moved", path);
	int r = -1, fd;
	errno = 0;
	if (!strcmp(op, "open-w"))
		r = fd = open(path, O_WRONLY);
	else if (!strcmp(op, "open-rw"))
		r = fd = open(path, O_RDWR);
	else if (!strcmp(op, "truncate"))
		r = truncate(path, 0);
	else if (!strcmp(op, "mkdir"))
		r = mkdir(path, 0755);
	else if (!strcmp(op, "create"))
		r = fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	else if (!strcmp(op, "unlink"))
		r = unlink(path);
	else if (!strcmp(op, "rename"))
		r = rename(path, other);
	else if (!strcmp(op, "chmod"))
		r = chmod(path, 0666);
	else if (!strcmp(op, "read")) {
		char b[16];
		fd = open(path, O_RDONLY);
		r = fd < 0 ? -1 : (int)read(fd, b, sizeof b);
	} else
		die("probe errno: unknown op %s", op);
	printf("%s %s\n", op, r < 0 ? errname(errno) : "ok");
	return 0;
}

/* sysinfo of the cgroup HARNESS_CGROUP, started at HARNESS_START_NS (serve sets both) */
static int probe_sysinfo(void)
{
	const char *cg = getenv("HARNESS_CGROUP"), *start = getenv("HARNESS_START_NS");
	if (!cg || !start)
		die("probe sysinfo: run it under serve");
	struct vproc_view v;
	if (vproc_view_init(&v) < 0)
		die("vproc_view_init: %s", strerror(errno));
	char p[4096];
#define CGDIR(field, ctl)                                                                        \
	snprintf(p, sizeof p, "/sys/fs/cgroup/%s/%s", ctl, cg);                                  \
	v.field = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC)
	CGDIR(mem_dir, "memory");
	CGDIR(cpu_dir, "cpu");
	CGDIR(cpuacct_dir, "cpuacct");
	CGDIR(cpuset_dir, "cpuset");
	CGDIR(blkio_dir, "blkio");
	CGDIR(pids_dir, "pids");
	v.host_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	v.start_boottime_ns = strtoull(start, NULL, 10);
	print_sysinfo(&v);
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	char buf[65536];
	if (argc == 2 && !strcmp(argv[0], "size")) { /* fstat, then read the same fd */
		int fd = probe_open(argv[1]);
		struct stat st;
		fstat(fd, &st);
		size_t total = 0;
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			total += (size_t)n;
		printf("size=%lld read=%zu\n", (long long)st.st_size, total);
		return 0;
	}
	if ((argc == 2 || argc == 3) && !strcmp(argv[0], "chunks")) { /* N (1) bytes per read */
		int fd = probe_open(argv[1]);
		size_t n = argc == 3 ? strtoul(argv[2], NULL, 10) : 1;
		ssize_t r;
		if (n < 1 || n > sizeof buf)
			die("probe chunks: 1..%zu bytes", sizeof buf);
		while ((r = read(fd, buf, n)) > 0)
			fwrite(buf, 1, (size_t)r, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "two")) { /* two opens read byte by byte, interleaved */
		int a = probe_open(argv[1]), b = probe_open(argv[1]);
		static char ca[1 << 20], cb[1 << 20];
		size_t la = 0, lb = 0;
		int ea = 0, eb = 0;
		while ((!ea || !eb) && la < sizeof ca && lb < sizeof cb) {
			if (!ea && read(a, ca + la, 1) == 1)
				la++;
			else
				ea = 1;
			if (!eb && read(b, cb + lb, 1) == 1)
				lb++;
			else
				eb = 1;
		}
		printf("A\n%.*sB\n%.*s", (int)la, ca, (int)lb, cb);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[0], "reread")) { /* read, lseek to 0, read again */
		int fd = probe_open(argv[1]);
		for (int pass = 0; pass < 2; pass++) {
			ssize_t n;
			lseek(fd, 0, SEEK_SET);
			while ((n = read(fd, buf, sizeof buf)) > 0)
				fwrite(buf, 1, (size_t)n, stdout);
			printf("---\n");
		}
		return 0;
	}
	if (argc == 3 && !strcmp(argv[0], "errno"))
		return probe_errno(argv[1], argv[2]);
	if (argc == 1 && !strcmp(argv[0], "sysinfo"))
		return probe_sysinfo();
	if (argc == 3 && !strcmp(argv[0], "bench")) { /* µs per open+read+close, best of 5 */
		printf("%.2f\n", bench(argv[1], atoi(argv[2])));
		return 0;
	}
	die("probe: size|two|reread FILE, chunks FILE [N], bench FILE N, errno OP PATH, sysinfo");
}

/* ---- serve: a real cgroup, the server, and a workload ---- */

static const char *controllers[] = {"memory", "cpu", "cpuacct", "cpuset", "blkio", "pids"};
#define NCTL (sizeof controllers / sizeof controllers[0])

struct opts {
	const char *cg;
	unsigned long long mem;
	long long quota;
	const char *cpus;
	int userns;            /* the workload in a user namespace: 0-65535 are host 100000-165535 */
	const char *root_dir;  /* also attach the FUSE root here (names, statfs) */
	const char *legacy_dir; /* mount(2) with the data string, read-write, here; no binds */
	const char *cover;     /* bind /dev/null over this path first, as a spec's mount would */
	long sample_ms;
	int changing;          /* add "gen" and "big": content changes with every request */
	int bench;             /* iterations of the open+read+close benchmark, before and after */
	char **cmd;
};

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return w == (ssize_t)strlen(s) ? 0 : -1;
}

static void cg_path(char *buf, size_t cap, const char *ctl, const char *cg, const char *file)
{
	snprintf(buf, cap, "/sys/fs/cgroup/%s/%s%s%s", ctl, cg, file ? "/" : "", file ? file : "");
}

static void cg_remove(const char *cg)
{
	char p[4096];
	for (size_t i = 0; i < NCTL; i++) {
		cg_path(p, sizeof p, controllers[i], cg, NULL);
		for (int tries = 0; tries < 200 && rmdir(p) < 0 && errno == EBUSY; tries++)
			usleep(5000); /* the last task's exit is still being accounted */
	}
}

static void cg_create(const struct opts *o)
{
	char p[4096], val[4096];
	for (size_t i = 0; i < NCTL; i++) {
		cg_path(p, sizeof p, controllers[i], o->cg, NULL);
		if (mkdir(p, 0755) < 0) {
			int e = errno;
			cg_remove(o->cg);
			die("mkdir %s: %s", p, strerror(e));
		}
	}
	const char *cpus = o->cpus;
	int fd = open("/sys/fs/cgroup/cpuset/cpuset.cpus", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, val, sizeof val - 1) : -1;
	if (fd >= 0)
		close(fd);
	val[n > 0 ? n : 0] = 0;
	if (!cpus)
		cpus = val;
	struct {
		const char *ctl, *file;
		char v[4096];
	} w[] = {{"cpuset", "cpuset.cpus", ""},
		 {"cpuset", "cpuset.mems", "0"},
		 {"memory", "memory.limit_in_bytes", ""},
		 {"cpu", "cpu.cfs_period_us", "100000"},
		 {"cpu", "cpu.cfs_quota_us", ""}};
	snprintf(w[0].v, sizeof w[0].v, "%s", cpus);
	snprintf(w[2].v, sizeof w[2].v, "%llu", o->mem);
	snprintf(w[4].v, sizeof w[4].v, "%lld", o->quota);
	for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
		if (!strcmp(w[i].file, "memory.limit_in_bytes") && !o->mem)
			continue;
		if (!strcmp(w[i].file, "cpu.cfs_quota_us") && !o->quota)
			continue;
		cg_path(p, sizeof p, w[i].ctl, o->cg, w[i].file);
		if (write_file(p, w[i].v) < 0) {
			int e = errno;
			cg_remove(o->cg);
			die("write %s to %s: %s", w[i].v, p, strerror(e));
		}
	}
}

/* the test-only files of --changing: their content depends on how many requests the server
 * has answered, so any two renders differ */
static unsigned long served;

static size_t render_gen(void *ctx, char *buf, size_t cap)
{
	(void)ctx;
	char line[32];
	int ll = snprintf(line, sizeof line, "%lu\n", served);
	size_t n = 0, lines = 10 + served % 50; /* the length changes too */
	for (size_t i = 0; i < lines; i++, n += (size_t)ll)
		if (n + (size_t)ll <= cap)
			memcpy(buf + n, line, (size_t)ll);
	return n;
}

static size_t render_big(void *ctx, char *buf, size_t cap)
{
	(void)ctx;
	size_t n = 300000; /* beyond one 128 KiB READ */
	for (size_t i = 0; i < n && i < cap; i++)
		buf[i] = (char)('a' + (i / 4096 + served) % 26);
	return n;
}

static struct vfs_file files[16];
static size_t nfiles;

static void files_init(int changing)
{
	for (size_t i = 0; i < vfs_proc_nfiles; i++)
		files[nfiles++] = vfs_proc_files[i];
	if (changing) {
		files[nfiles++] = (struct vfs_file){"gen", NULL, 0, render_gen};
		files[nfiles++] = (struct vfs_file){"big", NULL, 0, render_big};
	}
}


static void bench_pair(const struct opts *o, const char *label)
{
	double m = bench("/proc/meminfo", o->bench);
	double c = bench("/sys/devices/system/cpu/online", o->bench);
	double h = bench("/etc/hostname", o->bench * 10);
	fprintf(stderr, "bench %s meminfo_us=%.2f online_us=%.2f hostname_us=%.3f\n", label, m, c, h);
}

/* The init's part: cgroup, namespaces, the binds from the sentry's mount (or, with
 * --legacy-rw, a read-write mount(2) of its own with the data string), then CMD. */
static void workload(const struct opts *o, int fuse_fd, int mnt, int sock)
{
	char p[4096], pid[24], err[512], b;
	snprintf(pid, sizeof pid, "%d", getpid());
	for (size_t i = 0; i < NCTL; i++) {
		cg_path(p, sizeof p, controllers[i], o->cg, "cgroup.procs");
		if (write_file(p, pid) < 0)
			die("workload: join %s: %s", p, strerror(errno));
	}
	if (o->userns) {
		if (unshare(CLONE_NEWUSER) < 0)
			die("workload: unshare user: %s", strerror(errno));
		if (write(sock, "u", 1) != 1 || read(sock, &b, 1) != 1)
			die("workload: no id maps");
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) /* the container's root */
			die("workload: become root: %s", strerror(errno));
	}
	close(sock);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("workload: mount namespace: %s", strerror(errno));
	if (o->bench)
		bench_pair(o, "real");
	if (o->cover && mount("/dev/null", o->cover, NULL, MS_BIND, NULL) < 0)
		die("workload: cover %s: %s", o->cover, strerror(errno));
	if (o->legacy_dir) {
		char data[256];
		if (vfs_fuse_mount_data(data, sizeof data, fuse_fd) < 0 ||
		    mount(VFS_FUSE_SOURCE, o->legacy_dir, VFS_FUSE_FSTYPE, MS_NOSUID | MS_NODEV, data) < 0)
			die("workload: mount(2) %s: %s", o->legacy_dir, strerror(errno));
	} else {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		int n = vfs_fuse_bind(mnt, files, nfiles, root, err, sizeof err);
		if (n < 0)
			die("workload: %s", err);
		fprintf(stderr, "workload: bound %d\n", n);
		if (o->root_dir && syscall(SYS_move_mount, mnt, "", AT_FDCWD, o->root_dir,
					   MOAT_MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die("workload: move_mount %s: %s", o->root_dir, strerror(errno));
		close(mnt);
		close(root);
	}
	close(fuse_fd);
	if (o->bench)
		bench_pair(o, "fuse");
	execvp(o->cmd[0], o->cmd);
	die("workload: exec %s: %s", o->cmd[0], strerror(errno));
}

/* The sentry's part: one request per wakeup, a load sample every sample_ms. */
static void server(const struct opts *o, int fd, uint64_t start, unsigned owner)
{
	struct vproc_view v;
	if (vproc_view_init(&v) < 0)
		die("vproc_view_init: %s", strerror(errno));
	char p[4096];
	int *dirs[] = {&v.mem_dir, &v.cpu_dir, &v.cpuacct_dir, &v.cpuset_dir, &v.blkio_dir, &v.pids_dir};
	for (size_t i = 0; i < NCTL; i++) {
		cg_path(p, sizeof p, controllers[i], o->cg, NULL);
		*dirs[i] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	v.host_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	v.start_boottime_ns = start;
	struct vfs_fuse *fs = vfs_fuse_new(fd, files, nfiles, &v, owner, owner);
	if (!fs)
		die("server: %s", strerror(errno));
	vproc_sample(&v);
	uint64_t next = now_ns(CLOCK_MONOTONIC) + (uint64_t)o->sample_ms * 1000000;
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		if (now >= next) {
			vproc_sample(&v);
			next = now + (uint64_t)o->sample_ms * 1000000;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)((next - now) / 1000000) + 1);
		if (r <= 0)
			continue;
		if (vfs_fuse_serve_one(fs) < 0) {
			int e = errno;
			if (e == EPERM && o->legacy_dir) { /* the workload has not mounted it yet */
				usleep(1000);
				continue;
			}
			fprintf(stderr, "server: stopped: %s\n", errname(e));
			vfs_fuse_free(fs);
			exit(e == ENODEV ? 0 : 1);
		}
		served++;
	}
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int s)
{
	(void)s;
	got_usr1 = 1;
}

static void write_maps(pid_t pid)
{
	char p[64];
	const char *map = "0 100000 65536\n";
	snprintf(p, sizeof p, "/proc/%d/uid_map", pid);
	if (write_file(p, map) < 0)
		die("uid_map: %s", strerror(errno));
	snprintf(p, sizeof p, "/proc/%d/gid_map", pid);
	if (write_file(p, map) < 0)
		die("gid_map: %s", strerror(errno));
}

static int cmd_serve(int argc, char **argv)
{
	struct opts o = {.sample_ms = 1000 * VPROC_SAMPLE_SECONDS};
	int i = 0;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--cgroup") && val)
			o.cg = argv[++i];
		else if (!strcmp(a, "--mem") && val)
			o.mem = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--quota") && val)
			o.quota = strtoll(argv[++i], NULL, 10);
		else if (!strcmp(a, "--cpus") && val)
			o.cpus = argv[++i];
		else if (!strcmp(a, "--userns"))
			o.userns = 1;
		else if (!strcmp(a, "--root") && val)
			o.root_dir = argv[++i];
		else if (!strcmp(a, "--legacy-rw") && val)
			o.legacy_dir = argv[++i];
		else if (!strcmp(a, "--cover") && val)
			o.cover = argv[++i];
		else if (!strcmp(a, "--sample-ms") && val)
			o.sample_ms = strtol(argv[++i], NULL, 10);
		else if (!strcmp(a, "--changing"))
			o.changing = 1;
		else if (!strcmp(a, "--bench") && val)
			o.bench = atoi(argv[++i]);
		else
			die("serve: bad option %s", a);
	}
	if (!o.cg || i >= argc - 1 || o.sample_ms <= 0)
		die("serve: --cgroup NAME [options] -- CMD...");
	o.cmd = argv + i + 1;
	files_init(o.changing);

	uint64_t start = now_ns(CLOCK_BOOTTIME);
	char self[4096], num[32];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	self[sl > 0 ? sl : 0] = 0;
	snprintf(num, sizeof num, "%llu", (unsigned long long)start);
	setenv("HARNESS", self, 1);
	setenv("HARNESS_CGROUP", o.cg, 1);
	setenv("HARNESS_START_NS", num, 1);
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);

	cg_create(&o);
	char err[512];
	int fd = vfs_fuse_open(), mnt = -1, sp[2];
	if (fd >= 0 && !o.legacy_dir && (mnt = vfs_fuse_mount(fd, err, sizeof err)) < 0) {
		cg_remove(o.cg);
		die("%s", err);
	}
	if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		cg_remove(o.cg);
		die("/dev/fuse: %s", strerror(errno));
	}
	fflush(NULL);
	pid_t w = fork();
	if (w == 0) {
		close(sp[0]);
		workload(&o, fd, mnt, sp[1]);
	}
	close(sp[1]);
	/* the sentry lets go of its mount: the binds alone keep the superblock, so it goes (and
	 * the server reads ENODEV) with the workload's mount namespace */
	if (mnt >= 0)
		close(mnt);
	char b;
	if (o.userns && read(sp[0], &b, 1) == 1) {
		write_maps(w);
		if (write(sp[0], "m", 1) != 1)
			fprintf(stderr, "supervisor: workload gone\n");
	}
	close(sp[0]);
	pid_t s = fork();
	if (s == 0)
		server(&o, fd, start, o.userns ? 100000 : 0);
	close(fd); /* the server's is the only reference now: its death ends the connection */

	int status = 0, wdone = 0, sdone = 0;
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + 60ull * 1000000000ull, sdeadline = 0;
	while (!wdone || !sdone) {
		int st;
		pid_t r = waitpid(-1, &st, WNOHANG);
		if (r == w) {
			wdone = 1;
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			sdeadline = now_ns(CLOCK_MONOTONIC) + 5ull * 1000000000ull;
		} else if (r == s) {
			sdone = 1;
		}
		if (got_usr1 && !sdone) { /* the workload asks: the sentry dies */
			kill(s, SIGKILL);
			got_usr1 = 0;
		}
		uint64_t now = now_ns(CLOCK_MONOTONIC);
		if (!wdone && now > deadline) {
			fprintf(stderr, "supervisor: workload timed out\n");
			kill(w, SIGKILL);
		}
		if (wdone && !sdone && now > sdeadline) {
			fprintf(stderr, "supervisor: server did not stop after the unmount\n");
			kill(s, SIGKILL);
			status = status ? status : 125;
		}
		if (r <= 0)
			usleep(2000);
	}
	cg_remove(o.cg);
	return status;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc >= 2 && !strcmp(argv[1], "render"))
		return cmd_render(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "probe"))
		return cmd_probe(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return cmd_serve(argc - 2, argv + 2);
	die("usage: vfs_harness render|serve|probe ...");
}
