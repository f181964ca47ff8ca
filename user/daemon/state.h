/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's state file, /run/wgturn/<WGIF>.state (JSON): what `show`
 * reports about relays, and what a restarted daemon needs to adopt the
 * allocation of the 5-tuple it shares with its predecessor.
 */
#ifndef WGT_STATE_H
#define WGT_STATE_H

#include <json-c/json.h>
#include "turn/turn.h"

void state_path(const char *wgif, const char *ext, char *buf, size_t len);
/* Write atomically (rename). */
int state_write(const char *wgif, const struct turn_client *c,
		uint64_t now_ms);
/* The parsed file, or NULL. */
json_object *state_read(const char *wgif);
/* Restore relayed/mapped/realm/nonce and the channels of c's server. */
int state_adopt(json_object *st, struct turn_client *c, uint64_t now_ms);

#endif
