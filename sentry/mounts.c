/* The container's filesystem view (OCI runtime spec: root, mounts, linux.devices,
 * maskedPaths, readonlyPaths), built in the init's new mount namespace.
 *
 * Every container path is resolved *inside* the rootfs with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), missing components are created relative to directory fds,
 * and mounts target /proc/self/fd/N of the resolved O_PATH fd. A symlink planted in the
 * image can therefore never redirect a mount onto the host (the CVE-2021-30465 class).
 * Everything is done before pivot_root, through the runtime's /proc (checked to be procfs):
 * after it, /proc/self/fd would be the container's /proc, which a volume over /proc or
 * /proc/1/fd turns into links of the container's choosing (the CVE-2025-52881 class). */
#include "kabi.h"
#include "sentry.h"
#include "vfs_fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define FDPATH_LEN 32

static int open_in_root(int rootfd, const char *path)
{
	struct moat_open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

static const char *fdpath(char *buf, int fd)
{
	snprintf(buf, FDPATH_LEN, "/proc/self/fd/%d", fd);
	return buf;
}

enum { CREATE_NONE = -1, CREATE_DIR = 0, CREATE_FILE = 1 };

/* Resolve path in the root; with create, make missing components one by one (directories,
 * and the last one as a directory or an empty file). Returns an O_PATH fd or -1/errno. */
static int resolve(int rootfd, const char *path, int create)
{
	int fd = open_in_root(rootfd, path);
	if (fd >= 0 || errno != ENOENT || create == CREATE_NONE)
		return fd;

	char buf[4097];
	size_t len = strlen(path);
	if (len >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	int parent = open_in_root(rootfd, "/");
	if (parent < 0)
		return -1;
	size_t i = 0;
	for (;;) {
		while (buf[i] == '/')
			i++;
		if (!buf[i])
			return parent;
		size_t s = i;
		while (buf[i] && buf[i] != '/')
			i++;
		size_t e = i, j = i;
		while (buf[j] == '/')
			j++;
		int last = buf[j] == 0;
		char saved = buf[e];
		buf[e] = 0;
		fd = open_in_root(rootfd, buf);
		if (fd < 0 && errno == ENOENT) {
			int r;
			if (last && create == CREATE_FILE) {
				r = openat(parent, buf + s, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(parent, buf + s, 0755);
			}
			if (r < 0 && errno != EEXIST) {
				int er = errno;
				close(parent);
				errno = er;
				return -1;
			}
			fd = open_in_root(rootfd, buf);
		}
		buf[e] = saved;
		int er = errno;
		close(parent);
		if (fd < 0) {
			errno = er;
			return -1;
		}
		parent = fd;
	}
}

/* Split a container path into the resolved (created) parent directory and the last name. */
static int resolve_parent(int rootfd, const char *path, char *name, size_t namelen)
{
	char dir[4097];
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, len);
	dir[len] = 0;
	char *slash = strrchr(dir, '/');
	const char *base = slash ? slash + 1 : dir;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) >= namelen) {
		errno = EINVAL;
		return -1;
	}
	memcpy(name, base, strlen(base) + 1);
	if (slash)
		slash[1] = 0;
	else
		dir[0] = 0;
	return resolve(rootfd, dir[0] ? dir : "/", CREATE_DIR);
}

/* Mount flags the kernel may have locked on this mount (nosuid/nodev/noexec/atime, and
 * ro): a remount that drops them fails with EPERM inside a user namespace, so every
 * remount carries over what statfs reports. */
static unsigned long locked_flags(int fd)
{
	struct statfs s;
	if (fstatfs(fd, &s) != 0)
		return 0;
	unsigned long f = 0;
	if (s.f_flags & MOAT_ST_NOSUID)
		f |= MS_NOSUID;
	if (s.f_flags & MOAT_ST_NODEV)
		f |= MS_NODEV;
	if (s.f_flags & MOAT_ST_NOEXEC)
		f |= MS_NOEXEC;
	if (s.f_flags & MOAT_ST_NOATIME)
		f |= MS_NOATIME;
	if (s.f_flags & MOAT_ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (s.f_flags & MOAT_ST_RELATIME)
		f |= MS_RELATIME;
	if (s.f_flags & MOAT_ST_RDONLY)
		f |= MS_RDONLY;
	return f;
}

/* Bind remount of an existing target, keeping the locked flags. */
static int remount_bind(int rootfd, const char *path, unsigned long flags)
{
	char fp[FDPATH_LEN];
	int fd = resolve(rootfd, path, CREATE_NONE);
	if (fd < 0)
		return -1;
	int r = mount(NULL, fdpath(fp, fd), NULL, MS_REMOUNT | MS_BIND | flags | locked_flags(fd), NULL);
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static const char *mount_name(const struct plan_mount *m)
{
	if (m->type && m->type[0])
		return m->type;
	return m->source && m->source[0] ? m->source : "bind";
}

static void do_mount(int rootfd, const struct plan_mount *m)
{
	char fp[FDPATH_LEN];
	int fd = resolve(rootfd, m->dest, m->create ? CREATE_FILE : CREATE_DIR);
	if (fd < 0)
		init_die("mount %s to %s: resolve destination: %s", mount_name(m), m->dest, errstr(errno));
	const char *type = (m->type && m->type[0]) ? m->type : NULL;
	const char *data = (m->data && m->data[0]) ? m->data : NULL;
	const char *src = m->source ? m->source : "";
	/* tmpcopyup: keep a handle on the directory the tmpfs is about to cover */
	int old = -1;
	if (m->copyup && (old = open(fdpath(fp, fd), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		init_die("tmpcopyup %s: %s", m->dest, errstr(errno));
	if (m->idmap_tree >= 0) {
		/* idmapped bind: the sentry prepared the mount (sentry.c); put it in place */
		int tree = m->idmap_tree;
		if (syscall(SYS_move_mount, tree, "", fd, "",
			    MOAT_MOVE_MOUNT_F_EMPTY_PATH | MOAT_MOVE_MOUNT_T_EMPTY_PATH) != 0)
			init_die("idmapped mount %s: move_mount: %s", m->dest, errstr(errno));
		close(tree);
	} else if (mount(src, fdpath(fp, fd), type, (unsigned long)m->flags, data) != 0) {
		init_die("mount %s to %s: %s", mount_name(m), m->dest, errstr(errno));
	}
	close(fd);
	if (old >= 0) {
		int pathfd = resolve(rootfd, m->dest, CREATE_NONE);
		int now = pathfd < 0 ? -1 : open(fdpath(fp, pathfd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (now < 0 || copyup_tree(old, now) != 0)
			init_die("tmpcopyup %s: %s", m->dest, errstr(errno));
		close(now);
		close(pathfd);
		close(old);
	}

	/* the bind itself ignores ro/nosuid/...: they need a second, remount step */
	if (m->remount_flags && remount_bind(rootfd, m->dest, (unsigned long)m->remount_flags) != 0)
		init_die("remount %s (%#llx): %s", m->dest, (unsigned long long)m->remount_flags,
			 errstr(errno));
	if (m->propagation) {
		fd = resolve(rootfd, m->dest, CREATE_NONE);
		if (fd < 0 || mount(NULL, fdpath(fp, fd), NULL, (unsigned long)m->propagation, NULL) != 0)
			init_die("set propagation of %s: %s", m->dest, errstr(errno));
		close(fd);
	}
}

static void do_device(int rootfd, const struct plan_device *d)
{
	char name[256], fp[FDPATH_LEN];
	int dir = resolve_parent(rootfd, d->path, name, sizeof name);
	if (dir < 0)
		init_die("create device %s: %s", d->path, errstr(errno));
	/* the image may ship its own /dev entries: the spec's device wins */
	if (unlinkat(dir, name, 0) != 0 && errno != ENOENT)
		init_die("replace %s: %s", d->path, errstr(errno));
	if (d->bind) {
		int f = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (f < 0)
			init_die("create %s: %s", d->path, errstr(errno));
		close(f);
		int t = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (t < 0 || mount(d->host_path, fdpath(fp, t), NULL, MS_BIND, NULL) != 0)
			init_die("bind device %s to %s: %s", d->host_path, d->path, errstr(errno));
		close(t);
	} else {
		if (mknodat(dir, name, (mode_t)d->mode, makedev((unsigned)d->major, (unsigned)d->minor)) != 0)
			init_die("mknod %s: %s", d->path, errstr(errno));
		/* mknod is subject to the umask; the spec's mode is not */
		if (fchmodat(dir, name, (mode_t)(d->mode & 07777), 0) != 0)
			init_die("chmod %s: %s", d->path, errstr(errno));
	}
	/* a bound host node keeps its owner: a user namespace could not change it anyway */
	if (!d->bind && fchownat(dir, name, (uid_t)d->uid, (gid_t)d->gid, AT_SYMLINK_NOFOLLOW) != 0)
		init_die("chown %s: %s", d->path, errstr(errno));
	close(dir);
}

static void do_symlink(int rootfd, const struct plan_symlink *l)
{
	char name[256];
	int dir = resolve_parent(rootfd, l->path, name, sizeof name);
	if (dir < 0)
		init_die("symlink %s: %s", l->path, errstr(errno));
	if (symlinkat(l->target, dir, name) != 0 && errno != EEXIST)
		init_die("symlink %s -> %s: %s", l->path, l->target, errstr(errno));
	close(dir);
}

/* Swap the process root for the container rootfs; the old root is detached so the
 * container holds no reference to the host's tree. */
static void enter_root(const struct plan *p, int rootfd)
{
	if (fchdir(rootfd) != 0)
		init_die("chdir to rootfs %s: %s", p->rootfs, errstr(errno));
	if (p->no_pivot) {
		/* for ramfs roots where pivot_root is impossible (runc --no-pivot) */
		if (mount(".", "/", NULL, MS_MOVE, NULL) != 0)
			init_die("move rootfs to /: %s", errstr(errno));
		if (chroot(".") != 0)
			init_die("chroot: %s", errstr(errno));
	} else {
		/* "." after pivot_root is our cwd, the *new* root: the old one is only reachable
		 * through an fd opened before (runc's pivotRoot does the same), and making "."
		 * rslave would flatten the container's per-mount propagation (shared, ...) */
		int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (oldroot < 0)
			init_die("open old root: %s", errstr(errno));
		if (syscall(SYS_pivot_root, ".", ".") != 0)
			init_die("pivot_root %s: %s", p->rootfs, errstr(errno));
		if (fchdir(oldroot) != 0)
			init_die("chdir to old root: %s", errstr(errno));
		close(oldroot);
		/* make the old root a slave first so the detach cannot propagate an unmount back
		 * to the host when "/" was shared */
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) != 0)
			init_die("make old root rslave: %s", errstr(errno));
		if (umount2(".", MNT_DETACH) != 0)
			init_die("detach old root: %s", errstr(errno));
	}
	if (chdir("/") != 0)
		init_die("chdir to /: %s", errstr(errno));
}

/* The runtime's null device, which maskedPaths files are covered with: never the rootfs's
 * /dev/null, which a racing process sharing the container's /dev may have swapped for a symlink
 * (to /proc/sys/kernel/core_pattern, say) or a directory (CVE-2025-31133). Checked by fd. */
static int open_null(void)
{
	struct stat st;
	int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		init_die("mask: open the runtime's /dev/null: %s", errstr(errno));
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		init_die("mask: the runtime's /dev/null is not the null device");
	return fd;
}

/* maskedPaths: hide kernel files (/proc/kcore, /sys/firmware, ...) behind the null device or
 * an empty read-only tmpfs; paths the kernel does not have are skipped. */
static void do_masked(int rootfd, int nullfd, const char *path)
{
	char fp[FDPATH_LEN], np[FDPATH_LEN];
	int fd = resolve(rootfd, path, CREATE_NONE);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		init_die("mask %s: %s", path, errstr(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0)
		init_die("mask %s: %s", path, errstr(errno));
	int r = S_ISDIR(st.st_mode) ? mount("tmpfs", fdpath(fp, fd), "tmpfs", MS_RDONLY, NULL)
				    : mount(fdpath(np, nullfd), fdpath(fp, fd), NULL, MS_BIND, NULL);
	if (r != 0)
		init_die("mask %s: %s", path, errstr(errno));
	close(fd);
}

/* readonlyPaths: bind the path onto itself, then make that bind read-only. */
static void do_readonly(int rootfd, const char *path)
{
	char fp[FDPATH_LEN];
	int fd = resolve(rootfd, path, CREATE_NONE);
	if (fd < 0) {
		if (errno == ENOENT)
			return;
		init_die("make %s read-only: %s", path, errstr(errno));
	}
	fdpath(fp, fd);
	if (mount(fp, fp, NULL, MS_BIND | MS_REC, NULL) != 0)
		init_die("make %s read-only: bind: %s", path, errstr(errno));
	close(fd);
	if (remount_bind(rootfd, path, MS_RDONLY) != 0)
		init_die("make %s read-only: remount: %s", path, errstr(errno));
}


/* Undo mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/* pivot_root refuses a new root whose parent mount is shared (rootfsPropagation "shared" or
 * "rshared"). As runc does, make that parent mount private in our namespace: find the mount
 * whose mount point is the longest prefix of the rootfs in /proc/self/mountinfo. */
static void parent_mount_private(const char *rootfs)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		init_die("open /proc/self/mountinfo: %s", errstr(errno));
	char line[8192], best[4097] = "";
	size_t best_len = 0;
	int best_shared = 0;
	while (fgets(line, sizeof line, f)) {
		/* id parent major:minor root mountpoint options optional... - type source opts */
		char *save = NULL, *field[6];
		int n = 0;
		for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			field[n++] = t;
			if (n == 6)
				break;
		}
		if (n < 6)
			continue;
		char *mp = field[4];
		unescape(mp);
		size_t l = strlen(mp);
		int prefix = !strcmp(mp, "/") ||
			     (!strncmp(rootfs, mp, l) && (rootfs[l] == '/' || rootfs[l] == 0));
		if (!prefix || l < best_len || l >= sizeof best)
			continue;
		int shared = 0;
		for (char *t = strtok_r(NULL, " ", &save); t && strcmp(t, "-"); t = strtok_r(NULL, " ", &save))
			if (!strncmp(t, "shared:", 7))
				shared = 1;
		memcpy(best, mp, l + 1);
		best_len = l;
		best_shared = shared;
	}
	fclose(f);
	if (best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) != 0)
		init_die("make %s private: %s", best, errstr(errno));
}

int init_vfs_mnt = -1;
const struct vfs_file *init_vfs_files;
size_t init_vfs_nfiles;

/* dev.moat.virtualize: the sentry's FUSE files over /proc/meminfo & co. (sandbox.c mounted the
 * filesystem): after the spec's mounts made /proc and /sys, before the masked paths (which win)
 * and pivot_root. Each bind's lookup is answered by the sentry meanwhile. */
static void bind_virtual_files(int rootfd)
{
	if (init_vfs_mnt < 0)
		return;
	char err[512];
	if (vfs_fuse_bind(init_vfs_mnt, init_vfs_files, init_vfs_nfiles, rootfd, err, sizeof err) < 0)
		init_die("%s", err);
	close(init_vfs_mnt);
	init_vfs_mnt = -1;
}

/* /proc/self/fd/N of the runtime's view is what every mount below targets */
static void check_proc(void)
{
	int fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		init_die("open /proc/self/fd: %s", errstr(errno));
	if (!fd_on_procfs(fd))
		init_die("/proc/self/fd is not on procfs");
	close(fd);
}

void mounts_setup(const struct plan *p)
{
	/* keep container mounts from leaking to the host (TS sends MS_SLAVE|MS_REC by default) */
	if (p->root_propagation && mount(NULL, "/", NULL, (unsigned long)p->root_propagation, NULL) != 0)
		init_die("set root propagation %#llx: %s", (unsigned long long)p->root_propagation,
			 errstr(errno));
	/* the rootfs overlay (overlay.c) first: the bind below and every mount land on it */
	overlay_mount(p);
	parent_mount_private(p->rootfs);
	check_proc();
	/* pivot_root needs the new root to be a mount point */
	if (mount(p->rootfs, p->rootfs, NULL, MS_BIND | MS_REC, NULL) != 0)
		init_die("bind rootfs %s: %s", p->rootfs, errstr(errno));
	int rootfd = open(p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		init_die("open rootfs %s: %s", p->rootfs, errstr(errno));

	for (size_t i = 0; i < p->n_mounts; i++) {
		do_mount(rootfd, &p->mounts[i]);
		attrs_mount(rootfd, &p->mounts[i]); /* rro, rnosuid, ... (process_attrs.c) */
	}
	for (size_t i = 0; i < p->n_devices; i++)
		do_device(rootfd, &p->devices[i]);
	for (size_t i = 0; i < p->n_symlinks; i++)
		do_symlink(rootfd, &p->symlinks[i]);
	bind_virtual_files(rootfd);

	/* prestart/createRuntime (paused for moat create) and createContainer hooks run with the
	 * mounts in place and the runtime's root still visible; then linux.sysctl (hooks.c,
	 * process_attrs.c) */
	hooks_before_pivot(p);
	attrs_sysctls(p);

	/* masked and read-only paths last, still resolved in the root (runc does them after
	 * pivot_root, where /proc/self/fd would be the container's) */
	if (p->n_masked) {
		int nullfd = open_null();
		for (size_t i = 0; i < p->n_masked; i++)
			do_masked(rootfd, nullfd, p->masked[i]);
		close(nullfd);
	}
	for (size_t i = 0; i < p->n_readonly; i++)
		do_readonly(rootfd, p->readonly[i]);
	if (p->rootfs_readonly && remount_bind(rootfd, "/", MS_RDONLY) != 0)
		init_die("make rootfs read-only: %s", errstr(errno));

	enter_root(p, rootfd);
	close(rootfd);
}
