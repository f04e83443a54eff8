/* linux.netDevices: move host network interfaces into the container's new network
 * namespace (optionally renamed), one RTM_NEWLINK with IFLA_NET_NS_FD per device, from the
 * sentry while it is still in the host's network namespace. Kernel ABI structs only. */
#include "kabi.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct moat_nlmsghdr {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};
struct moat_ifinfomsg {
	uint8_t family, pad;
	uint16_t type;
	int32_t index;
	uint32_t flags, change;
};
struct moat_rtattr {
	uint16_t len, type;
};
#define MOAT_RTM_NEWLINK 16
#define MOAT_NLM_F_REQUEST 1
#define MOAT_NLM_F_ACK 4
#define MOAT_NLMSG_ERROR 2
#define MOAT_IFLA_IFNAME 3
#define MOAT_IFLA_NET_NS_FD 28
#define MOAT_NETLINK_ROUTE 0
#define ALIGN4(x) (((x) + 3u) & ~3u)

static size_t put_attr(uint8_t *buf, size_t off, size_t cap, uint16_t type, const void *data, size_t len)
{
	size_t total = sizeof(struct moat_rtattr) + len;
	if (off + ALIGN4(total) > cap)
		return 0;
	struct moat_rtattr a = {.len = (uint16_t)total, .type = type};
	memcpy(buf + off, &a, sizeof a);
	memcpy(buf + off + sizeof a, data, len);
	memset(buf + off + total, 0, ALIGN4(total) - total);
	return off + ALIGN4(total);
}

int netdev_move(const char *name, const char *newname, int netns_fd, char *err, size_t errlen)
{
	unsigned idx = if_nametoindex(name);
	if (!idx) {
		snprintf(err, errlen, "linux.netDevices: %s: %s", name, errstr(errno));
		return -1;
	}
	uint8_t buf[512];
	memset(buf, 0, sizeof buf);
	struct moat_nlmsghdr *nh = (struct moat_nlmsghdr *)(void *)buf;
	struct moat_ifinfomsg ifi = {.family = AF_UNSPEC, .index = (int32_t)idx};
	size_t off = sizeof *nh;
	memcpy(buf + off, &ifi, sizeof ifi);
	off += sizeof ifi;
	uint32_t fd = (uint32_t)netns_fd;
	off = put_attr(buf, off, sizeof buf, MOAT_IFLA_NET_NS_FD, &fd, sizeof fd);
	if (off && newname && newname[0])
		off = put_attr(buf, off, sizeof buf, MOAT_IFLA_IFNAME, newname, strlen(newname) + 1);
	if (!off) {
		snprintf(err, errlen, "linux.netDevices: %s: request too large", name);
		return -1;
	}
	nh->len = (uint32_t)off;
	nh->type = MOAT_RTM_NEWLINK;
	nh->flags = MOAT_NLM_F_REQUEST | MOAT_NLM_F_ACK;
	nh->seq = 1;

	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, MOAT_NETLINK_ROUTE);
	if (s < 0) {
		snprintf(err, errlen, "linux.netDevices: netlink: %s", errstr(errno));
		return -1;
	}
	int rc = -1;
	if (send(s, buf, off, 0) != (ssize_t)off) {
		snprintf(err, errlen, "linux.netDevices: %s: send: %s", name, errstr(errno));
	} else {
		uint8_t ack[1024];
		ssize_t n = recv(s, ack, sizeof ack, 0);
		struct moat_nlmsghdr *r = (struct moat_nlmsghdr *)(void *)ack;
		if (n < (ssize_t)(sizeof *r + sizeof(int32_t)) || r->type != MOAT_NLMSG_ERROR) {
			snprintf(err, errlen, "linux.netDevices: %s: no acknowledgement", name);
		} else {
			int32_t e;
			memcpy(&e, ack + sizeof *r, sizeof e);
			if (e == 0)
				rc = 0;
			else
				snprintf(err, errlen, "linux.netDevices: move %s into the container: %s", name,
					 errstr(-e));
		}
	}
	close(s);
	return rc;
}
