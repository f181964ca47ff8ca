/* SPDX-License-Identifier: GPL-2.0 */
/* `wgturn up` / `down`: the daemon that keeps peers reachable via TURN. */
#ifndef WGT_DAEMON_H
#define WGT_DAEMON_H

#include "upconf.h"

#define WGT_RUN_DIR "/run/wgturn"

/* Returns the exit code: 0 once the allocation succeeded (the daemon
 * runs on, in the background unless c->foreground). */
int daemon_up(const struct up_conf *c, const char *opt_bpffs);
int daemon_down(const char *wgif, const char *opt_bpffs);
/* SIGHUP to WGIF's daemon; the exit code (1: none runs). */
int daemon_reload_signal(const char *wgif);

#endif
