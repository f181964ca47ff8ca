// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base/addr.h"
#include "wgquick.h"

struct wgq_state {
	struct named_peer *peers;
	int n, cap;
	FILE *f;
	int headers, seen;	/* [Peer] sections, as upconf.c counts them */
	struct named_peer cur;
	bool have_key, have_name;
	int failed;		/* errno */
};

/* inih's line buffer is short (200 bytes in Debian's build): the rest of
 * a longer line (a long AllowedIPs, a PostUp) is dropped here, not handed
 * over as a line of its own. Nothing read from this file is that long. */
static char *wgq_reader(char *str, int num, void *stream)
{
	struct wgq_state *st = stream;
	char *line = fgets(str, num, st->f);
	int c;

	if (line && !strchr(line, '\n'))
		while ((c = getc(st->f)) != EOF && c != '\n')
			;
	if (line && line[strspn(line, " \t")] == '[')
		st->headers++;
	return line;
}

static void flush_peer(struct wgq_state *st)
{
	if (st->have_key && st->have_name) {
		if (st->n == st->cap) {
			int cap = st->cap ? 2 * st->cap : 8;
			struct named_peer *p = realloc(st->peers,
						       cap * sizeof(*p));

			if (!p) {
				st->failed = ENOMEM;
				return;
			}
			st->peers = p;
			st->cap = cap;
		}
		st->peers[st->n++] = st->cur;
	}
	memset(&st->cur, 0, sizeof(st->cur));
	st->have_key = st->have_name = false;
}

/* NAME:PORT with NAME not an address literal ([v6] or a.b.c.d). */
static bool named_endpoint(const char *v, struct named_peer *p)
{
	const char *colon = strrchr(v, ':');
	struct in_addr a4;
	size_t n;

	if (!colon || v[0] == '[' || colon == v || strchr(v, ' '))
		return false;
	n = colon - v;
	if (n >= sizeof(p->host) || port_parse(colon + 1, &p->port) ||
	    !p->port)
		return false;
	memcpy(p->host, v, n);
	p->host[n] = 0;
	return inet_pton(AF_INET, p->host, &a4) != 1 && !strchr(p->host, ':');
}

static int wgq_handler(void *user, const char *section, const char *key,
		       const char *value)
{
	struct wgq_state *st = user;

	if (st->seen != st->headers) {	/* a new section */
		st->seen = st->headers;
		flush_peer(st);
	}
	if (strcasecmp(section, "Peer"))
		return 1;	/* [Interface]: nothing we keep */
	if (!strcasecmp(key, "PublicKey"))
		st->have_key = !wg_key_from_base64(value, st->cur.key);
	else if (!strcasecmp(key, "Endpoint"))
		st->have_name = named_endpoint(value, &st->cur);
	return 1;
}

int wgquick_named_peers(const char *path, struct named_peer **out, int *n,
			char *why, size_t len)
{
	struct wgq_state st = {};
	int ret;

	*out = NULL;
	*n = 0;
	st.f = fopen(path, "re");
	if (!st.f) {
		snprintf(why, len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	ret = ini_parse_stream(wgq_reader, &st, wgq_handler, &st);
	fclose(st.f);
	flush_peer(&st);
	if (ret || st.failed) {
		free(st.peers);
		if (ret)
			snprintf(why, len, "%s: line %d: syntax error", path, ret);
		else
			snprintf(why, len, "%s: %s", path, strerror(st.failed));
		return -1;
	}
	*out = st.peers;
	*n = st.n;
	return 0;
}
