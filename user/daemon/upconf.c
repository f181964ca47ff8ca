// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/addr.h"
#include "base/secret.h"
#include "upconf.h"

#define TURN_DEFAULT_PORT 3478

/* Copy [from, to) into a NUL-terminated buffer; -1 if empty or too long. */
static int copy_span(char *dst, size_t len, const char *from, const char *to)
{
	size_t n = to - from;

	if (n == 0 || n >= len)
		return -1;
	memcpy(dst, from, n);
	dst[n] = 0;
	return 0;
}

/* HOST[:PORT] or [V6][:PORT] (RFC 3986 IP-literal) in s..end: the host
 * into host, the port into *port (dflt when absent). bare_v6: more than
 * one colon is an IPv6 address alone, without a port. */
static int host_port_split(const char *s, const char *end, bool bare_v6,
			   char *host, size_t hostlen, uint16_t *port,
			   uint16_t dflt)
{
	const char *hs = s, *he = end, *ps = NULL;
	const char *colon = memchr(s, ':', end - s);
	char p[8];

	if (s < end && *s == '[') {
		const char *close = memchr(s, ']', end - s);

		if (!close || (close + 1 < end && close[1] != ':'))
			return -1;
		hs = s + 1;
		he = close;
		if (close + 1 < end)
			ps = close + 2;
	} else if (colon &&
		   !(bare_v6 && memchr(colon + 1, ':', end - colon - 1))) {
		he = colon;
		ps = colon + 1;
	}
	if (copy_span(host, hostlen, hs, he))
		return -1;
	*port = dflt;
	if (ps && (copy_span(p, sizeof(p), ps, end) || port_parse(p, port)))
		return -1;
	return 0;
}

int turn_uri_parse(const char *uri, char *host, size_t hostlen,
		   uint16_t *port, char *why, size_t whylen)
{
	const char *h = uri + 5, *q = strchr(uri, '?');

	if (!strncasecmp(uri, "turns:", 6)) {
		snprintf(why, whylen,
			 "'%s': turns: (TLS) is not supported, use turn:", uri);
		return -1;
	}
	if (strncasecmp(uri, "turn:", 5)) {
		snprintf(why, whylen,
			 "'%s' is not a turn: URI (turn:HOST[:PORT])", uri);
		return -1;
	}
	if (q && strcasecmp(q, "?transport=udp")) {
		snprintf(why, whylen, "'%s': only UDP transport is supported",
			 uri);
		return -1;
	}
	if (host_port_split(h, q ? q : h + strlen(h), false, host, hostlen,
			    port, TURN_DEFAULT_PORT)) {
		snprintf(why, whylen,
			 "invalid TURN URI '%s': expected turn:HOST[:PORT]", uri);
		return -1;
	}
	return 0;
}

int password_read(const char *path, char *buf, size_t len, char *why,
		  size_t whylen)
{
	return secret_read(path, "password file", buf, len, why, whylen);
}

int dns_server_parse(const char *s, char *host, size_t hostlen,
		     uint16_t *port, char *why, size_t whylen)
{
	if (host_port_split(s, s + strlen(s), true, host, hostlen, port, 53)) {
		snprintf(why, whylen,
			 "invalid DNS server '%s': expected HOST, HOST:PORT or [V6]:PORT",
			 s);
		return -1;
	}
	return 0;
}

int lifetime_parse(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' ||
	    v < UP_CRED_LIFETIME_MIN || v > 10u * 365 * 86400)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int yes_no(const char *key, const char *value, bool *out, char *why,
		  size_t whylen)
{
	if (!strcasecmp(value, "yes") || !strcasecmp(value, "true"))
		*out = true;
	else if (!strcasecmp(value, "no") || !strcasecmp(value, "false"))
		*out = false;
	else {
		snprintf(why, whylen, "invalid %s '%s': expected yes or no",
			 key, value);
		return -1;
	}
	return 0;
}

int rdv_conf_set(struct rdv_conf *r, const char *key, const char *value,
		 char *why, size_t whylen)
{
	if (!strcasecmp(key, "Zone")) {
		if (copy_span(r->zone, sizeof(r->zone), value,
			      value + strlen(value)) || strchr(value, ' ')) {
			snprintf(why, whylen, "invalid Zone '%s'", value);
			return -1;
		}
		return 0;
	}
	if (!strcasecmp(key, "Server"))
		return dns_server_parse(value, r->server, sizeof(r->server),
					&r->port, why, whylen);
	if (!strcasecmp(key, "TsigKeyFile")) {
		if (copy_span(r->tsig_file, sizeof(r->tsig_file), value,
			      value + strlen(value))) {
			snprintf(why, whylen, "invalid TsigKeyFile '%s'", value);
			return -1;
		}
		return 0;
	}
	if (!strcasecmp(key, "Publish")) {
		r->publish_set = true;
		return yes_no(key, value, &r->publish, why, whylen);
	}
	if (!strcasecmp(key, "Direct")) {
		r->direct_set = true;
		return yes_no(key, value, &r->direct, why, whylen);
	}
	return 1;
}

int rdv_conf_check(struct rdv_conf *r, char *why, size_t whylen)
{
	if (!r->zone[0] && !r->server[0] && !r->tsig_file[0] &&
	    !r->publish_set && !r->direct_set)
		return 0;	/* no rendezvous */
	if (!r->zone[0] || !r->server[0]) {
		snprintf(why, whylen, "the rendezvous needs both a zone and a DNS server");
		return -1;
	}
	if (!r->publish_set)
		r->publish = true;
	if (!r->direct_set)
		r->direct = true;
	if (r->publish && !r->tsig_file[0]) {
		snprintf(why, whylen,
			 "publishing in zone %s needs a TSIG key file (or Publish = no)",
			 r->zone);
		return -1;
	}
	return 0;
}

int relay_conf_check(struct relay_conf *r, char *why, size_t whylen)
{
	if (!r->host[0] || !r->username[0] ||
	    !r->password_file[0] == !r->secret_file[0]) {
		snprintf(why, whylen,
			 "a relay needs Server, Username and either PasswordFile or AuthSecretFile");
		return -1;
	}
	if (r->cred_lifetime && !r->secret_file[0]) {
		snprintf(why, whylen,
			 "CredentialLifetime goes with AuthSecretFile (REST credentials)");
		return -1;
	}
	if (!r->cred_lifetime)
		r->cred_lifetime = UP_CRED_LIFETIME_DEFAULT;
	return 0;
}

struct ini_state {
	struct up_conf *c;
	char *why;
	size_t whylen;
	int failed;
	FILE *f;
	int headers;		/* section headers read so far */
	int seen;		/* headers seen by the handler */
};

/*
 * inih calls the handler per key only, so two [Relay] sections in a row
 * would look like one. The reader counts the headers it passes on.
 */
static char *conf_reader(char *str, int num, void *stream)
{
	struct ini_state *st = stream;
	char *line = fgets(str, num, st->f);

	if (line && line[strspn(line, " \t")] == '[')
		st->headers++;
	return line;
}

static int copy_str(char *dst, size_t len, const char *v)
{
	return copy_span(dst, len, v, v + strlen(v));
}

/* inih reports the line of the first handler failure; the message
 * is kept here and prefixed with it by up_conf_load(). */
static int ini_fail(struct ini_state *st, const char *fmt, const char *a,
		    const char *b)
{
	snprintf(st->why, st->whylen, fmt, a, b);
	st->failed = 1;
	return 0;
}

/* inih takes only ';' for an inline comment; wg-quick users write '#'.
 * A '#' after whitespace ends the value, as in wg-quick's files. */
static const char *strip_comment(const char *value, char *buf, size_t len)
{
	size_t n = strlen(value);

	for (size_t i = 1; i < n; i++)
		if (value[i] == '#' && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
			n = i;
			break;
		}
	while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	snprintf(buf, len, "%.*s", (int)n, value);
	return buf;
}

static int conf_handler(void *user, const char *section, const char *key,
			const char *raw)
{
	struct ini_state *st = user;
	struct up_conf *c = st->c;
	struct relay_conf *r;
	char value[4096];

	strip_comment(raw, value, sizeof(value));

	if (st->failed)
		return 0;
	if (st->seen != st->headers) { /* the first key of a section */
		st->seen = st->headers;
		if (!strcasecmp(section, "Relay")) {
			if (c->n_relays == UP_MAX_RELAYS)
				return ini_fail(st, "too many [%s]%s",
						section, " sections");
			c->n_relays++;
		} else if (strcasecmp(section, "Interface") &&
			   strcasecmp(section, "Rendezvous")) {
			return ini_fail(st, "unknown section [%s]%s",
					section, "");
		}
	}
	if (!strcasecmp(section, "Interface") && !strcasecmp(key, "Uplink")) {
		if (c->n_uplinks == WGT_MAX_UPLINKS)
			return ini_fail(st, "more than 8 %s%s", key,
					" entries");
		if (copy_str(c->uplinks[c->n_uplinks++], IF_NAMESIZE, value))
			return ini_fail(st, "invalid %s '%s'", key,
					value);
		return 1;
	}
	if (!strcasecmp(section, "Interface") && !strcasecmp(key, "XdpMode")) {
		if (xdp_req_parse(value, &c->xdp))
			return ini_fail(st, "invalid %s '%s': expected auto, native, skb or off",
					key, value);
		return 1;
	}
	if (!strcasecmp(section, "Interface") &&
	    !strcasecmp(key, "WireGuardConfig")) {
		if (copy_str(c->wg_config, sizeof(c->wg_config), value))
			return ini_fail(st, "invalid %s '%s'", key, value);
		return 1;
	}
	if (!strcasecmp(section, "Interface") && !strcasecmp(key, "Metrics")) {
		if (copy_str(c->metrics, sizeof(c->metrics), value))
			return ini_fail(st, "invalid %s '%s'", key, value);
		return 1;
	}
	if (!strcasecmp(section, "Interface") &&
	    !strcasecmp(key, "MetricsFile")) {
		if (copy_str(c->metrics_file, sizeof(c->metrics_file), value))
			return ini_fail(st, "invalid %s '%s'", key, value);
		return 1;
	}
	if (!strcasecmp(section, "Rendezvous")) {
		char why[300];
		int rc = rdv_conf_set(&c->rdv, key, value, why, sizeof(why));

		if (rc < 0)
			return ini_fail(st, "%s%s", why, "");
		if (rc > 0)
			return ini_fail(st, "unknown key '%s' in [%s]", key,
					section);
		return 1;
	}
	if (strcasecmp(section, "Relay") || c->n_relays == 0)
		return ini_fail(st, "unknown key '%s' in [%s]", key,
				section);
	r = &c->relays[c->n_relays - 1];
	if (!strcasecmp(key, "Server")) {
		char why[200];

		if (turn_uri_parse(value, r->host, sizeof(r->host), &r->port,
				   why, sizeof(why)))
			return ini_fail(st, "%s%s", why, "");
		return 1;
	}
	if (!strcasecmp(key, "Username")) {
		if (copy_str(r->username, sizeof(r->username), value))
			return ini_fail(st, "invalid %s '%s'", key,
					value);
		return 1;
	}
	if (!strcasecmp(key, "PasswordFile")) {
		if (copy_str(r->password_file, sizeof(r->password_file), value))
			return ini_fail(st, "invalid %s '%s'", key,
					value);
		return 1;
	}
	if (!strcasecmp(key, "AuthSecretFile")) {
		if (copy_str(r->secret_file, sizeof(r->secret_file), value))
			return ini_fail(st, "invalid %s '%s'", key, value);
		return 1;
	}
	if (!strcasecmp(key, "CredentialLifetime")) {
		if (lifetime_parse(value, &r->cred_lifetime))
			return ini_fail(st, "invalid %s '%s': expected seconds, at least 10",
					key, value);
		return 1;
	}
	return ini_fail(st, "unknown key '%s' in [%s]", key, section);
}

int up_conf_load(const char *path, struct up_conf *c, char *why,
		 size_t whylen)
{
	struct ini_state st = { .c = c, .why = why, .whylen = whylen };
	char msg_buf[300];
	int ret;

	st.f = fopen(path, "re");
	if (!st.f) {
		snprintf(why, whylen, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	ret = ini_parse_stream(conf_reader, &st, conf_handler, &st);
	fclose(st.f);
	if (st.failed) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s", why);
		snprintf(why, whylen, "%s: line %d: %s", path, ret, msg);
		return -1;
	}
	if (ret) {
		snprintf(why, whylen, "%s: line %d: syntax error", path, ret);
		return -1;
	}
	for (int i = 0; i < c->n_relays; i++) {
		if (relay_conf_check(&c->relays[i], msg_buf, sizeof(msg_buf))) {
			snprintf(why, whylen, "%s: [Relay] %d: %s", path, i + 1,
				 msg_buf);
			return -1;
		}
	}
	if (!c->n_relays) {
		snprintf(why, whylen, "%s: no [Relay] section", path);
		return -1;
	}
	if (rdv_conf_check(&c->rdv, msg_buf, sizeof(msg_buf))) {
		snprintf(why, whylen, "%s: [Rendezvous]: %s", path, msg_buf);
		return -1;
	}
	return 0;
}
