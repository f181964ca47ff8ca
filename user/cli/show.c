// SPDX-License-Identifier: GPL-2.0
/* `wgturn show`: a table in the spirit of `wg show`, or JSON. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include "base/addr.h"
#include "base/err.h"
#include "dp/loader.h"
#include "base/log.h"
#include "dp/maps.h"
#include "show.h"
#include "show_state.h"
#include "daemon/state.h"

/* Read one instance; returns its JSON, or prints it when json is NULL. */
static int show_one(const struct wgt_pins *p, json_object **json)
{
	struct wgt_uplink up[WGT_MAX_UPLINKS];
	__u64 cnt[WGT_REASON_MAX];
	static struct peer_view pv[WGT_MAX_ENDPOINTS];
	struct wgt_ep key, next, *prev = NULL;
	struct wgt_config cfg;
	json_object *st;
	struct wgt_err e = {};
	struct wgt_maps m;
	int n = 0;

	if (maps_open(p, &m, &e)) {
		log_report(&e, 1);
		return -1;
	}
	if (config_read(&m, &cfg) || uplinks_read(&m, up) ||
	    counters_read(&m, cnt)) {
		pr_err("cannot read the maps of '%s': %s", p->name,
		    strerror(errno));
		maps_close(&m);
		return -1;
	}
	while (n < WGT_MAX_ENDPOINTS &&
	       !bpf_map_get_next_key(m.endpoints, prev, &next)) {
		key = next;
		prev = &key;
		pv[n].ep = key;
		if (bpf_map_lookup_elem(m.endpoints, &key, &pv[n].path))
			continue; /* deleted meanwhile */
		stats_read(&m, &key, &pv[n].st);
		n++;
	}
	maps_close(&m);
	st = state_read(p->name);
	struct show_data d = { .name = p->name, .cfg = &cfg, .up = up,
			       .cnt = cnt, .pv = pv, .n = n, .st = st };

	if (json)
		*json = show_json(&d);
	else
		show_text(&d);
	if (st)
		json_object_put(st);
	return 0;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_SPACED));
	json_object_put(o);
}

int show(const struct wgt_pins *p, bool json)
{
	json_object *o = NULL, *all;
	struct wgt_pins one;
	struct dirent *de;
	int ret = 0, shown = 0;
	DIR *d;

	if (p->name[0]) {
		if (show_one(p, json ? &o : NULL))
			return -1;
		if (json)
			print_json(o);
		return 0;
	}
	all = json ? json_object_new_array() : NULL;
	d = opendir(p->base);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !name_valid(de->d_name))
			continue;
		one = *p;
		if (pins_set_name(&one, de->d_name))
			continue;
		if (!json && shown)
			printf("\n");
		if (show_one(&one, json ? &o : NULL)) {
			ret = -1;
			continue;
		}
		if (json)
			json_object_array_add(all, o);
		shown++;
	}
	if (d)
		closedir(d);
	if (json)
		print_json(all);
	return ret;
}
