/* libmoat: the C entry points the TypeScript core binds through Deno FFI.
 * Only moat_* symbols are exported (-fvisibility=hidden + MOAT_API). */
#include "plan.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MOAT_API __attribute__((visibility("default")))

#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

extern const uint8_t moat_sentry_image[];
extern const uint8_t moat_sentry_image_end[];

MOAT_API uint64_t moat_sentry_size(void)
{
	return (uint64_t)(moat_sentry_image_end - moat_sentry_image);
}

MOAT_API const char *moat_version(void)
{
	return "moat-sentry " MOAT_VERSION " plan-v1";
}

/* A sealed memfd holding the sentry: the caller starts it as /proc/self/fd/N, so the
 * binary can neither be replaced on disk nor rewritten through /proc/<pid>/exe
 * (the CVE-2019-5736 class). */
MOAT_API int32_t moat_sentry_memfd(void)
{
	int fd = memfd_create("moat-sentry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	const uint8_t *p = moat_sentry_image;
	size_t left = (size_t)moat_sentry_size();
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return -e;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

MOAT_API int32_t moat_plan_check(const uint8_t *buf, uint64_t len, char *err, uint64_t errlen)
{
	struct plan *p = NULL;
	if (len > SIZE_MAX) {
		if (err && errlen)
			snprintf(err, (size_t)errlen, "plan: too large");
		return -1;
	}
	if (plan_decode(buf, (size_t)len, &p, err, (size_t)errlen) != 0)
		return -1;
	plan_free(p);
	return 0;
}
