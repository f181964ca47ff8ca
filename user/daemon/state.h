/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's state file, /run/wgturn/<WGIF>.state (JSON): what `show`
 * reports about relays, and what a restarted daemon needs to adopt the
 * allocation of the 5-tuple it shares with its predecessor.
 */
#ifndef WGT_STATE_H
#define WGT_STATE_H

#include <json-c/json.h>
#include "checks.h"
#include "rendezvous.h"
#include "pmtu.h"
#include "tunnel_mtu.h"
#include "upconf.h"
#include "turn/turn.h"
#include "wg/wg.h"

/* What the daemon knows, for the state file: the relay, and when
 * present the rendezvous and WireGuard's latest read. */
struct state_view {
	const struct turn_client *turn;
	const struct rendezvous *rdv;		/* NULL: none */
	const struct wg_snapshot *wg;		/* NULL: not read yet */
	const struct tunnel_mtu *mtu;		/* NULL: none */
	const struct pmtu *pmtu;		/* NULL: none */
	const struct checks *checks;		/* NULL: no direct paths */
	const struct up_conf *conf;		/* NULL: no relay list */
	int relay_idx;				/* the active [Relay] */
};

void state_path(const char *wgif, const char *ext, char *buf, size_t len);
/* Write atomically (rename). Times are written as wall-clock epoch
 * milliseconds ("*_at"), so a reader computes ages itself and a state a
 * dead daemon left does not look fresh. */
int state_write(const char *wgif, const struct state_view *v, uint64_t now_ms);
/* The parsed file, or NULL. */
json_object *state_read(const char *wgif);
/* Restore relayed/mapped/realm/nonce and the channels of c's server. */
int state_adopt(json_object *st, struct turn_client *c, uint64_t now_ms);

#endif
