/* Egress policy: rule parsing and the decision (egress.h says the precedence). */
#include "egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* a decimal number in [lo, hi] spanning exactly s[0..n) */
static int number(const char *s, size_t n, unsigned lo, unsigned hi, unsigned *out)
{
	if (n == 0 || n > 5)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void clear_host_bits(uint8_t *addr, unsigned prefix, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = prefix > i * 8 ? prefix - i * 8 : 0;
		if (keep < 8)
			addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int egress_rule_parse(const char *text, struct egress_rule *out)
{
	char addr[64];
	const char *s = text, *rest;
	size_t len = strlen(text);
	if (len == 0 || len >= sizeof addr + 16)
		return -1;
	int six;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (size_t)(close - s - 1) >= sizeof addr)
			return -1;
		memcpy(addr, s + 1, (size_t)(close - s - 1));
		addr[close - s - 1] = 0;
		rest = close + 1;
		six = 1;
	} else {
		/* the address ends at '/', or for IPv4 at its only ':' (a bare IPv6 address has
		 * two or more colons and no port) */
		size_t end = strcspn(s, "/");
		size_t colons = 0, first_colon = end;
		for (size_t i = 0; i < end; i++)
			if (s[i] == ':' && colons++ == 0)
				first_colon = i;
		six = colons >= 2;
		if (colons == 1 && end == len)
			end = first_colon;
		if (end >= sizeof addr)
			return -1;
		memcpy(addr, s, end);
		addr[end] = 0;
		rest = s + end;
	}
	struct egress_rule r = {.family = (uint8_t)(six ? 6 : 4)};
	if (inet_pton(six ? AF_INET6 : AF_INET, addr, r.addr) != 1)
		return -1;
	unsigned prefix = six ? 128 : 32, port = 0;
	if (*rest == '/') {
		size_t n = strcspn(rest + 1, ":");
		if (number(rest + 1, n, 0, six ? 128 : 32, &prefix))
			return -1;
		rest += 1 + n;
	}
	if (*rest == ':') {
		if (number(rest + 1, strlen(rest + 1), 1, 65535, &port))
			return -1;
		rest += strlen(rest);
	}
	if (*rest)
		return -1;
	/* ::ffff:a.b.c.d/96+n is the IPv4 rule a.b.c.d/n: v4-mapped destinations meet IPv4 rules */
	if (six && prefix >= 96 && memcmp(r.addr, v4mapped, 12) == 0) {
		memmove(r.addr, r.addr + 12, 4);
		memset(r.addr + 4, 0, 12);
		r.family = 4;
		prefix -= 96;
	}
	clear_host_bits(r.addr, prefix, r.family == 6 ? 16 : 4);
	r.prefix = (uint8_t)prefix;
	r.port = (uint16_t)port;
	*out = r;
	return 0;
}

static int matches(const struct egress_rule *r, int family, const uint8_t *addr, uint16_t port)
{
	if (r->family != family || (r->port && r->port != port))
		return 0;
	unsigned full = r->prefix / 8, bits = r->prefix % 8;
	if (memcmp(r->addr, addr, full) != 0)
		return 0;
	return bits == 0 || ((r->addr[full] ^ addr[full]) & (uint8_t)(0xff00u >> bits)) == 0;
}

static int decide_one(const struct egress_policy *p, int family, const uint8_t *addr,
		      uint16_t port);

int egress_decide(const struct egress_policy *p, int family, const uint8_t *addr, uint16_t port)
{
	/* the container's policy, then every policy above it (a pod's) must allow */
	for (; p; p = p->also)
		if (decide_one(p, family, addr, port) == EGRESS_DENY)
			return EGRESS_DENY;
	return EGRESS_ALLOW;
}

static int decide_one(const struct egress_policy *p, int family, const uint8_t *addr,
		      uint16_t port)
{
	/* specificity: prefix length, then "has a port"; -1 = nothing matched */
	int best = -1, decision = p->default_deny ? EGRESS_DENY : EGRESS_ALLOW;
	for (size_t i = 0; i < p->n_allow; i++) {
		const struct egress_rule *r = &p->allow[i];
		int spec = r->prefix * 2 + (r->port != 0);
		if (spec > best && matches(r, family, addr, port)) {
			best = spec;
			decision = EGRESS_ALLOW;
		}
	}
	for (size_t i = 0; i < p->n_deny; i++) {
		const struct egress_rule *r = &p->deny[i];
		int spec = r->prefix * 2 + (r->port != 0);
		if (spec >= best && matches(r, family, addr, port)) { /* >=: deny wins a tie */
			best = spec;
			decision = EGRESS_DENY;
		}
	}
	return decision;
}

int egress_check(const struct egress_policy *p, const void *sa, size_t len)
{
	sa_family_t family;
	if (len < sizeof family)
		return -EINVAL;
	memcpy(&family, sa, sizeof family);
	uint8_t addr[16];
	uint16_t port;
	if (family == AF_UNSPEC)
		return EGRESS_ALLOW;
	if (family == AF_INET) {
		struct sockaddr_in in;
		if (len < sizeof in)
			return -EINVAL;
		memcpy(&in, sa, sizeof in);
		memcpy(addr, &in.sin_addr, 4);
		port = ntohs(in.sin_port);
		if (in.sin_addr.s_addr == htonl(INADDR_ANY))
			memcpy(addr, (uint8_t[]){127, 0, 0, 1}, 4);
		return egress_decide(p, 4, addr, port);
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 in6;
		/* the kernel takes 24 bytes (SIN6_LEN_RFC2133, no scope id) */
		if (len < 24)
			return -EINVAL;
		memset(&in6, 0, sizeof in6);
		memcpy(&in6, sa, len < sizeof in6 ? len : sizeof in6);
		memcpy(addr, &in6.sin6_addr, 16);
		port = ntohs(in6.sin6_port);
		if (memcmp(addr, v4mapped, 12) == 0) {
			if (memcmp(addr + 12, (uint8_t[]){0, 0, 0, 0}, 4) == 0)
				return egress_decide(p, 4, (uint8_t[]){127, 0, 0, 1}, port);
			return egress_decide(p, 4, addr + 12, port);
		}
		if (IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr))
			memcpy(addr, &in6addr_loopback, 16);
		return egress_decide(p, 6, addr, port);
	}
	return -EAFNOSUPPORT;
}
