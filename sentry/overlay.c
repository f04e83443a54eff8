/* The rootfs overlay (PROTOCOL.md §12). TypeScript planned every path (core/plan/overlay.ts);
 * here they are only used.
 *
 * overlay_prepare runs in the sentry before clone3, in the caller's mount namespace: it mounts
 * the memory media (tmpfs, so the upper stays reachable from the host for `tar rootfs-upper`
 * and checkpoint until delete unmounts it), makes upper, work and target, gives the upper's
 * root the owner and mode of the lower's (overlayfs shows the upper root's), copies a file
 * lower into its tmpfs, and makes each overlayfs as a detached mount (attached nowhere on the
 * host). Pages written later are charged to the writer's memory cgroup: the container's.
 *
 * overlay_mount runs in the init's new mount namespace, before the rootfs is bound onto itself:
 * it attaches the rootfs overlay; the bind mounts of overlaid sources take theirs in do_mount,
 * as idmapped trees. The container sees each lower through its upper. */
#include "kabi.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int mkdir_ok(const char *path, mode_t mode)
{
	return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -1;
}

static int copy_file(const char *from, const char *to, const struct stat *st)
{
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		errno = e;
		return -1;
	}
	int rc = copy_fd(in, out);
	if (!rc && (fchown(out, st->st_uid, st->st_gid) != 0 || fchmod(out, st->st_mode & 07777) != 0))
		rc = -1;
	int e = errno;
	close(in);
	close(out);
	errno = e;
	return rc;
}

/* The kernel's own words on a failed fsconfig/fsmount (the fs context's message log). */
static void fs_error(int fs, const char *what, const char *lower, char *err, size_t len)
{
	int e = errno;
	char msg[300];
	ssize_t n = fs >= 0 ? read(fs, msg, sizeof msg - 1) : -1;
	if (n > 2) {
		msg[n] = 0;
		snprintf(err, len, "overlay of %s: %s: %s (%s)", lower, what, errstr(e), msg + 2);
	} else {
		snprintf(err, len, "overlay of %s: %s: %s", lower, what, errstr(e));
	}
}

/* The overlayfs as a detached mount, made with our (the caller's) credentials: the init only
 * attaches it, so an init in a new user namespace needs no right on the layers. lowerdir+
 * takes the path as it is (no escaping, no length limit of mount(2)'s data page). No metacopy
 * and no redirects: the upper stays a plain layer (whole files, whiteouts, opaque
 * directories) that `tar rootfs-upper` writes out as an OCI layer. */
static int overlay_tree(const struct plan_overlay *o, char *err, size_t len)
{
	int fs = (int)syscall(SYS_fsopen, "overlay", MOAT_FSOPEN_CLOEXEC);
	if (fs < 0) {
		fs_error(-1, "fsopen", o->lower, err, len);
		return -1;
	}
	const char *keys[] = {"source", "lowerdir+", "upperdir", "workdir", "index", "metacopy",
			      "redirect_dir"};
	const char *vals[] = {"overlay", o->lower, o->upper, o->work, "off", "off", "off"};
	/* fsconfig takes strings of at most 255 bytes: a longer layer path (podman's storage
	 * under a deep checkout) goes as /proc/self/fd/N of a directory we hold open */
	int held[3] = {-1, -1, -1};
	char alias[3][32];
	int rc = 0;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !rc; i++) {
		const char *v = vals[i];
		if (i >= 1 && i <= 3 && strlen(v) > 255) {
			held[i - 1] = open(v, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (held[i - 1] < 0) {
				fs_error(-1, keys[i], o->lower, err, len);
				rc = -1;
				break;
			}
			snprintf(alias[i - 1], sizeof alias[i - 1], "/proc/self/fd/%d", held[i - 1]);
			v = alias[i - 1];
		}
		if (syscall(SYS_fsconfig, fs, MOAT_FSCONFIG_SET_STRING, keys[i], v, 0) != 0) {
			fs_error(fs, keys[i], o->lower, err, len);
			rc = -1;
		}
	}
	if (!rc && syscall(SYS_fsconfig, fs, MOAT_FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
		fs_error(fs, "create", o->lower, err, len);
		rc = -1;
	}
	for (int i = 0; i < 3; i++)
		if (held[i] >= 0)
			close(held[i]);
	if (rc) {
		close(fs);
		return -1;
	}
	int mnt = (int)syscall(SYS_fsmount, fs, MOAT_FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		fs_error(fs, "fsmount", o->lower, err, len);
	close(fs);
	return mnt;
}

/* Hand a prepared tree to the init: the rootfs overlay attaches it itself (overlay_mount); a
 * bind mount whose source is the target moves it into place like an idmapped tree. */
static int assign_tree(struct plan *p, struct plan_overlay *o, int tree, char *err, size_t len)
{
	if (!o->file && !strcmp(o->target, p->rootfs)) {
		o->tree = tree;
		return 0;
	}
	int used = 0;
	for (size_t i = 0; i < p->n_mounts; i++) {
		struct plan_mount *m = &p->mounts[i];
		if (!m->source || strcmp(m->source, o->target) || m->idmap_tree >= 0)
			continue;
		int fd = used++ ? fcntl(tree, F_DUPFD_CLOEXEC, 3) : tree;
		if (fd < 0) {
			snprintf(err, len, "overlay of %s: dup: %s", o->lower, errstr(errno));
			return -1;
		}
		m->idmap_tree = fd;
	}
	if (!used)
		close(tree);
	return 0;
}

int overlay_prepare(struct plan *p, char *err, size_t len)
{
	for (size_t i = 0; i < p->n_overlays; i++) {
		struct plan_overlay *o = &p->overlays[i];
		if (o->tmpfs && mount("tmpfs", o->tmpfs, "tmpfs", MS_NOSUID | MS_NODEV,
				      o->tmpfs_data ? o->tmpfs_data : "") != 0) {
			snprintf(err, len, "overlay of %s: mount tmpfs at %s: %s", o->lower, o->tmpfs,
				 errstr(errno));
			return -1;
		}
		struct stat st;
		if (stat(o->lower, &st) != 0) {
			snprintf(err, len, "overlay of %s: stat: %s", o->lower, errstr(errno));
			return -1;
		}
		int tree;
		if (o->file) {
			if (copy_file(o->lower, o->target, &st) != 0) {
				snprintf(err, len, "overlay of %s: copy to %s: %s", o->lower, o->target,
					 errstr(errno));
				return -1;
			}
			tree = (int)syscall(SYS_open_tree, AT_FDCWD, o->target,
					    MOAT_OPEN_TREE_CLONE | O_CLOEXEC);
			if (tree < 0) {
				snprintf(err, len, "overlay of %s: open_tree %s: %s", o->lower, o->target,
					 errstr(errno));
				return -1;
			}
		} else {
			const char *what = o->upper;
			if (mkdir_ok(o->upper, 0755) != 0 ||
			    (what = o->work, mkdir_ok(o->work, 0700) != 0) ||
			    (what = o->upper, chown(o->upper, st.st_uid, st.st_gid) != 0) ||
			    chmod(o->upper, st.st_mode & 07777) != 0 ||
			    (what = o->target,
			     strcmp(o->target, o->lower) != 0 && mkdir_ok(o->target, 0755) != 0)) {
				snprintf(err, len, "overlay of %s: %s: %s", o->lower, what, errstr(errno));
				return -1;
			}
			if ((tree = overlay_tree(o, err, len)) < 0)
				return -1;
		}
		if (assign_tree(p, o, tree, err, len) != 0)
			return -1;
	}
	return 0;
}

void overlay_release(struct plan *p)
{
	for (size_t i = 0; i < p->n_overlays; i++)
		if (p->overlays[i].tree >= 0) {
			close(p->overlays[i].tree);
			p->overlays[i].tree = -1;
		}
}

void overlay_mount(const struct plan *p)
{
	for (size_t i = 0; i < p->n_overlays; i++) {
		const struct plan_overlay *o = &p->overlays[i];
		if (o->tree < 0)
			continue;
		if (syscall(SYS_move_mount, o->tree, "", AT_FDCWD, o->target,
			    MOAT_MOVE_MOUNT_F_EMPTY_PATH) != 0)
			init_die("overlay of %s at %s: %s", o->lower, o->target, errstr(errno));
		close(o->tree);
	}
}
