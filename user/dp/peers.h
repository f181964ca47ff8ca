/* SPDX-License-Identifier: GPL-2.0 */
/* Peer mappings: endpoint -> relay channel or direct address. */
#ifndef WGT_PEERS_H
#define WGT_PEERS_H

#include <stdbool.h>
#include "maps.h"

struct wgt_err;

/* Map ep to path, make-before-break: the reverse entries for the new
 * path exist before the endpoint switches, the old ones go after. On
 * error nothing has changed: -errno and e's message. */
int peer_set(const struct wgt_maps *m, const struct wgt_ep *ep,
	     const struct wgt_path *path, struct wgt_err *e);
/* Only the reverse entry: arrivals on path count as ep's, while ep's
 * packets keep going the way they go. A peer that switched paths before
 * us is not roamed away from; a channel bound while ep is direct is
 * ready for the way back. Same errors as peer_set, and -EEXIST for a
 * direct address that maps to another endpoint already. */
int peer_accept(const struct wgt_maps *m, const struct wgt_ep *ep,
		const struct wgt_path *path, struct wgt_err *e);
int peer_del(const struct wgt_maps *m, const struct wgt_ep *ep,
	     struct wgt_err *e);
bool peer_exists(const struct wgt_maps *m, const struct wgt_ep *ep);

#endif
