// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

static uint64_t epoch_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A monotonic time of the daemon's (0: never) as epoch milliseconds. */
static json_object *at(uint64_t mono_ms, uint64_t now_ms, uint64_t epoch)
{
	if (!mono_ms)
		return NULL;
	return json_object_new_int64(mono_ms <= now_ms ?
		(int64_t)(epoch - (now_ms - mono_ms)) :
		(int64_t)(epoch + (mono_ms - now_ms)));
}

static json_object *record_json(const struct rdv_peer *p, uint64_t now,
				uint64_t epoch)
{
	json_object *o = json_object_new_object(), *h;
	char a[EP_STRLEN];

	add_ep(o, "endpoint", &p->rec.endpoint);
	json_object_object_add(o, "read_at", at(p->read_ms, now, epoch));
	json_object_object_add(o, "ttl", json_object_new_int(p->rec.ttl));
	add_ep(o, "relayed", &p->rec.relayed);
	add_ep(o, "srflx", &p->rec.srflx);
	h = json_object_new_array();
	for (int i = 0; i < p->rec.n_host; i++)
		json_object_array_add(h, json_object_new_string(
			ep_str(&p->rec.host[i], a, sizeof(a))));
	json_object_object_add(o, "host", h);
	return o;
}

/* The probed path MTU to the relay: value, how long the last search
 * took and how many probes it sent; null before the first result. */
static json_object *pmtu_json(const struct pmtu *p)
{
	json_object *o;

	if (!p || !pmtu_value(p))
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "value", json_object_new_int((int32_t)p->result));
	json_object_object_add(o, "search_ms", json_object_new_int((int32_t)p->took_ms));
	json_object_object_add(o, "probes", json_object_new_int((int32_t)p->probes));
	json_object_object_add(o, "searching", json_object_new_boolean(p->size != 0));
	return o;
}

/* The peer's path and tunnel MTU, null while not on a wgturn path. */
static void add_mtu(json_object *o, const struct tmtu_peer *p)
{
	bool known = p && p->path_mtu;

	json_object_object_add(o, "path_mtu", known ?
		json_object_new_int((int32_t)p->path_mtu) : NULL);
	json_object_object_add(o, "tunnel_mtu", known ?
		json_object_new_int((int32_t)p->tunnel_mtu) : NULL);
	json_object_object_add(o, "route_mtu", known && p->applied ?
		json_object_new_int((int32_t)p->applied) : NULL);
	json_object_object_add(o, "peer_path_mtu", known && p->through_mtu ?
		json_object_new_int((int32_t)p->through_mtu) : NULL);
}

/* The direct path checks of a peer: the path chosen and why, each
 * candidate with what its checks saw. */
static json_object *checks_json(const struct check_peer *p, uint64_t now,
				uint64_t epoch)
{
	json_object *o = json_object_new_object(), *arr, *c;
	char a[EP_STRLEN];

	json_object_object_add(o, "path", json_object_new_string(
		p->use >= 0 ? "direct" : "relay"));
	add_ep(o, "via", p->use >= 0 ? &p->c[p->use].ep : &(struct wgt_ep){ 0 });
	json_object_object_add(o, "reason", p->why[0] ?
		json_object_new_string(p->why) : NULL);
	json_object_object_add(o, "switched_at", at(p->switch_ms, now, epoch));
	json_object_object_add(o, "switches", json_object_new_int64(p->switches));
	arr = json_object_new_array();
	for (int i = 0; i < p->n; i++) {
		const struct check_cand *k = &p->c[i];

		c = json_object_new_object();
		json_object_object_add(c, "kind", json_object_new_string(
			check_kind_str(k->kind)));
		json_object_object_add(c, "address", json_object_new_string(
			ep_str(&k->ep, a, sizeof(a))));
		json_object_object_add(c, "state", json_object_new_string(
			check_state_str(k->state)));
		json_object_object_add(c, "rtt_ms", k->last_ok_ms ?
			json_object_new_double(k->rtt_us / 1000.0) : NULL);
		json_object_object_add(c, "last_success_at",
				       at(k->last_ok_ms, now, epoch));
		json_object_object_add(c, "checks_sent",
				       json_object_new_int64(k->sent));
		json_object_object_add(c, "answers",
				       json_object_new_int64(k->answered));
		json_object_array_add(arr, c);
	}
	json_object_object_add(o, "candidates", arr);
	return o;
}

/* Checks ignored, by why: counted, never acted on. */
static json_object *checks_ignored_json(const struct checks *k)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "invalid", json_object_new_uint64(k->invalid));
	json_object_object_add(o, "replayed", json_object_new_uint64(k->replayed));
	json_object_object_add(o, "unknown_peer", json_object_new_uint64(k->unknown));
	json_object_object_add(o, "stray_answers", json_object_new_uint64(k->stray));
	return o;
}

/* WireGuard's peers by public key, with what the rendezvous read. */
static json_object *wg_peers_json(const struct state_view *v, uint64_t now,
				  uint64_t epoch)
{
	json_object *arr = json_object_new_array();
	char k[WG_KEY_B64LEN];

	for (uint32_t i = 0; v->wg && i < v->wg->n_peers; i++) {
		const struct wg_peer *wp = &v->wg->peers[i];
		const struct rdv_peer *rp = v->rdv ?
			rdv_peer_find(v->rdv, wp->pubkey) : NULL;
		json_object *o = json_object_new_object();

		wg_key_to_base64(wp->pubkey, k);
		json_object_object_add(o, "public_key", json_object_new_string(k));
		add_ep(o, "endpoint", &wp->endpoint);
		json_object_object_add(o, "handshake_at", wp->handshake_ns ?
			json_object_new_int64(wp->handshake_ns / 1000000) : NULL);
		json_object_object_add(o, "record", rp && rp->have_rec ?
			record_json(rp, now, epoch) : NULL);
		json_object_object_add(o, "lookup_error", rp && rp->err ?
			json_object_new_string(strerror(-rp->err)) : NULL);
		add_mtu(o, v->mtu ? tmtu_find(v->mtu, wp->pubkey) : NULL);
		const struct check_peer *cp = v->checks ?
			checks_peer_find(v->checks,
					 wp->pubkey) : NULL;
		json_object_object_add(o, "checks", cp ?
			checks_json(cp, now, epoch) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

static json_object *rendezvous_json(const struct rendezvous *r, uint64_t now,
				    uint64_t epoch)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "zone", json_object_new_string(r->conf->zone));
	json_object_object_add(o, "server", json_object_new_string(r->conf->server));
	json_object_object_add(o, "publish", json_object_new_boolean(r->conf->publish));
	/* What the zone has, as far as we know: nothing until confirmed. */
	if (r->published && r->want.endpoint.family)
		add_ep(o, "published", &r->want.endpoint);
	else
		json_object_object_add(o, "published", NULL);
	json_object_object_add(o, "published_at",
			       at(r->last_publish_ms, now, epoch));
	json_object_object_add(o, "error", r->upd_err && r->upd_e.msg[0] ?
		json_object_new_string(r->upd_e.msg) : NULL);
	return o;
}

/* Every configured relay, in order; the active one says so. */
static json_object *relay_list_json(const struct state_view *v)
{
	json_object *a;

	if (!v->conf)
		return NULL;
	a = json_object_new_array();
	for (int i = 0; i < v->conf->n_relays; i++) {
		const struct relay_conf *r = &v->conf->relays[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "host", json_object_new_string(r->host));
		json_object_object_add(o, "port", json_object_new_int(r->port));
		json_object_object_add(o, "credentials", json_object_new_string(
			r->secret_file[0] ? "rest" : "long-term"));
		json_object_object_add(o, "active",
				       json_object_new_boolean(i == v->relay_idx));
		json_object_array_add(a, o);
	}
	return a;
}

int state_write(const char *wgif, const struct state_view *v, uint64_t now_ms)
{
	const struct turn_client *c = v->turn;
	json_object *o = json_object_new_object(), *peers;
	uint64_t epoch = epoch_ms();
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
	/* a REST username is no secret; a successor's refreshes need it */
	json_object_object_add(o, "username",
			       json_object_new_string(c->username));
	json_object_object_add(o, "relay_list", relay_list_json(v));
	json_object_object_add(o, "nonce", json_object_new_string(c->nonce));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "written_at", json_object_new_int64(epoch));
	json_object_object_add(o, "expires_at", c->state == TURN_ALLOCATED ?
			       at(c->expires_ms, now_ms, epoch) : NULL);
	json_object_object_add(o, "lifetime_s", c->state == TURN_ALLOCATED ?
			       json_object_new_int(c->lifetime) : NULL);
	json_object_object_add(o, "last_answer_at",
			       at(c->last_ok_ms, now_ms, epoch));
	json_object_object_add(o, "unreachable",
			       json_object_new_boolean(c->unreachable));
	json_object_object_add(o, "hints_ignored",
			       json_object_new_int(c->hints_ignored));
	json_object_object_add(o, "rendezvous", v->rdv ?
			       rendezvous_json(v->rdv, now_ms, epoch) : NULL);
	json_object_object_add(o, "wg_peers", wg_peers_json(v, now_ms, epoch));
	json_object_object_add(o, "checks_ignored", v->checks ?
			       checks_ignored_json(v->checks) : NULL);
	json_object_object_add(o, "relay_path_mtu", pmtu_json(v->pmtu));
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
