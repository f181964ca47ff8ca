// SPDX-License-Identifier: GPL-2.0
/*
 * `wgturn show`: a table in the spirit of `wg show`, JSON, or a dump.
 *
 *   show [NAME | all] [--json]   one instance, or every instance (`all`,
 *                                or no word at all), in name order
 *   show [NAME | all] dump       tab-separated lines (show_dump.c)
 *   show interfaces              the instances' names, one per line
 *
 * `all`, `interfaces` and `dump` are words, not names: an instance so
 * named is shown by `show all` (as with `wg show`).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Endpoints in a stable order: family, address, port. */
static int pv_cmp(const void *a, const void *b)
{
	const struct wgt_ep *x = &((const struct peer_view *)a)->ep;
	const struct wgt_ep *y = &((const struct peer_view *)b)->ep;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	return x->port < y->port ? -1 : x->port > y->port;
}

/* Read one instance and print it (text, dump) or add it to arr (JSON).
 * prefix: the instance name `show all dump` starts each line with. */
static int show_one(const struct wgt_pins *p, enum show_form form,
		    json_object *arr, bool prefix)
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
	qsort(pv, n, sizeof(pv[0]), pv_cmp);
	st = state_read(p->name);
	struct show_data d = { .name = p->name, .cfg = &cfg, .up = up,
			       .cnt = cnt, .pv = pv, .n = n, .st = st };

	switch (form) {
	case SHOW_JSON:
		json_object_array_add(arr, show_json(&d));
		break;
	case SHOW_DUMP:
		show_dump(&d, prefix ? p->name : NULL);
		break;
	default:
		show_text(&d);
	}
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

static int instance_entry(const struct dirent *de)
{
	return de->d_name[0] != '.' && name_valid(de->d_name);
}

/* The instances under p->base, in name order (none when it is absent). */
static int instances(const struct wgt_pins *p, struct dirent ***list)
{
	int n = scandir(p->base, list, instance_entry, alphasort);

	if (n < 0) {
		*list = NULL;
		return 0;
	}
	return n;
}

static void instances_free(struct dirent **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int show_interfaces(const struct wgt_pins *p)
{
	struct dirent **list;
	int n = instances(p, &list);

	for (int i = 0; i < n; i++)
		printf("%s\n", list[i]->d_name);
	instances_free(list, n);
	return 0;
}

int show(const struct wgt_pins *p, enum show_form form)
{
	json_object *arr = form == SHOW_JSON ? json_object_new_array() : NULL;
	struct dirent **list;
	struct wgt_pins one;
	int ret = 0, shown = 0, n;

	if (p->name[0]) {
		ret = show_one(p, form, arr, false);
		if (arr && !ret)
			print_json(arr);
		else if (arr)
			json_object_put(arr);
		return ret;
	}
	n = instances(p, &list);
	for (int i = 0; i < n; i++) {
		one = *p;
		if (pins_set_name(&one, list[i]->d_name))
			continue;
		if (form == SHOW_TEXT && shown)
			printf("\n");
		if (show_one(&one, form, arr, true)) {
			ret = -1;
			continue;
		}
		shown++;
	}
	instances_free(list, n);
	if (arr)
		print_json(arr);
	return ret;
}
