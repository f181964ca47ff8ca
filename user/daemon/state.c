// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/addr.h"
#include "daemon.h"
#include "state.h"

void state_path(const char *wgif, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%s", WGT_RUN_DIR, wgif, ext);
}

static const char *bind_str(uint8_t b)
{
	static const char *const n[] = { "none", "pending", "ok", "failed" };

	return b <= TB_FAILED ? n[b] : "?";
}

static void add_ep(json_object *o, const char *key, const struct wgt_ep *ep)
{
	char a[EP_STRLEN];

	json_object_object_add(o, key, ep->family ?
		json_object_new_string(ep_str(ep, a, sizeof(a))) : NULL);
}

int state_write(const char *wgif, const struct turn_client *c,
		uint64_t now_ms)
{
	json_object *o = json_object_new_object(), *peers;
	char path[256], tmp[300];
	int ret;

	add_ep(o, "server", &c->server);
	json_object_object_add(o, "state",
			       json_object_new_string(turn_state_str(c->state)));
	add_ep(o, "relayed", &c->relayed);
	add_ep(o, "mapped", &c->mapped);
	json_object_object_add(o, "expires_in_s", c->state == TURN_ALLOCATED ?
		json_object_new_int64(c->expires_ms > now_ms ?
				      (c->expires_ms - now_ms) / 1000 : 0) :
		NULL);
	json_object_object_add(o, "error", c->error[0] ?
			       json_object_new_string(c->error) : NULL);
	json_object_object_add(o, "realm", json_object_new_string(c->realm));
	json_object_object_add(o, "nonce", json_object_new_string(c->nonce));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "allocations",
			       json_object_new_int(c->allocations));
	peers = json_object_new_array();
	for (int i = 0; i < c->n_peers; i++) {
		const struct turn_peer *p = &c->peers[i];
		json_object *po = json_object_new_object();

		add_ep(po, "endpoint", &p->ep);
		json_object_object_add(po, "channel",
				       json_object_new_int(p->channel));
		json_object_object_add(po, "permission",
				       json_object_new_string(bind_str(p->perm)));
		json_object_object_add(po, "channel_state",
				       json_object_new_string(bind_str(p->chan)));
		json_object_object_add(po, "wanted",
				       json_object_new_boolean(p->wanted));
		json_object_array_add(peers, po);
	}
	json_object_object_add(o, "peers", peers);

	mkdir(WGT_RUN_DIR, 0700);
	state_path(wgif, "state", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ret = json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PRETTY);
	json_object_put(o);
	if (ret || rename(tmp, path))
		return -1;
	return 0;
}

json_object *state_read(const char *wgif)
{
	char path[256];

	state_path(wgif, "state", path, sizeof(path));
	if (access(path, R_OK))
		return NULL;
	return json_object_from_file(path);
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
			       json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : NULL;
}

int state_adopt(json_object *st, struct turn_client *c, uint64_t now_ms)
{
	struct wgt_ep server, relayed, mapped = {};
	const char *s = get_str(st, "server"), *r = get_str(st, "relayed");
	const char *m = get_str(st, "mapped");
	json_object *peers;
	char why[128];

	if (!s || !r || ep_parse(s, &server, why, sizeof(why)) ||
	    !ep_eq(&server, &c->server) ||
	    ep_parse(r, &relayed, why, sizeof(why)))
		return -1;
	if (m)
		ep_parse(m, &mapped, why, sizeof(why));
	turn_preset(c, &relayed, &mapped, get_str(st, "realm") ?: "",
		    get_str(st, "nonce") ?: "");
	/* Keep each endpoint's channel: the maps still use it. */
	if (json_object_object_get_ex(st, "peers", &peers))
		for (size_t i = 0; i < json_object_array_length(peers); i++) {
			json_object *p = json_object_array_get_idx(peers, i), *ch;
			const char *e = get_str(p, "endpoint");
			struct wgt_ep ep;

			if (e && !ep_parse(e, &ep, why, sizeof(why)) &&
			    json_object_object_get_ex(p, "channel", &ch)) {
				turn_peer_want(c, &ep, json_object_get_int(ch),
					       now_ms);
				turn_peer_drop(c, &ep);
			}
		}
	return 0;
}
