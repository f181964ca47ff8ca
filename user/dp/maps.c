// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "base/err.h"
#include "maps.h"

const char *const reason_names[WGT_REASON_MAX] = {
#define REASON_NAME(u, l, what) [WGT_##u] = #l,
	WGT_REASONS(REASON_NAME)
#undef REASON_NAME
};

/* Each counter field sits at its reason's index: the map is read as an
 * array of __u64 by reason. */
#define REASON_AT_INDEX(u, l, what)					\
	_Static_assert(offsetof(struct wgt_counters, l) ==		\
		       WGT_##u * sizeof(__u64), #l " at its index");
WGT_REASONS(REASON_AT_INDEX)
#undef REASON_AT_INDEX

static const struct {
	const char *name;
	size_t off;
} map_table[] = {
	{ "endpoints", offsetof(struct wgt_maps, endpoints) },
	{ "channels", offsetof(struct wgt_maps, channels) },
	{ "directs", offsetof(struct wgt_maps, directs) },
	{ "relays", offsetof(struct wgt_maps, relays) },
	{ "stats", offsetof(struct wgt_maps, stats) },
	{ "counters", offsetof(struct wgt_maps, counters) },
	{ "config", offsetof(struct wgt_maps, config) },
	{ "uplinks", offsetof(struct wgt_maps, uplinks) },
};

#define N_MAPS (sizeof(map_table) / sizeof(map_table[0]))

void maps_close(struct wgt_maps *m)
{
	for (size_t i = 0; i < N_MAPS; i++) {
		int *fd = (int *)((char *)m + map_table[i].off);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int maps_open(const struct wgt_pins *p, struct wgt_maps *m, struct wgt_err *e)
{
	char path[PATH_MAX];
	int err;

	for (size_t i = 0; i < N_MAPS; i++)
		*(int *)((char *)m + map_table[i].off) = -1;
	for (size_t i = 0; i < N_MAPS; i++) {
		int *fd = (int *)((char *)m + map_table[i].off);

		pins_path(p, map_table[i].name, path, sizeof(path));
		*fd = bpf_obj_get(path);
		if (*fd >= 0)
			continue;
		err = -errno;
		maps_close(m);
		if (err == -ENOENT)
			return wgt_err_set(e, err, "'%s' is not attached (no %s)",
					   p->name, path);
		if (err == -EPERM || err == -EACCES)
			return wgt_err_set(e, err,
					   "permission denied opening %s: run as root",
					   path);
		return wgt_err_set(e, err, "cannot open %s: %s", path,
				   strerror(-err));
	}
	return 0;
}

int config_read(const struct wgt_maps *m, struct wgt_config *c)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, c);
}

int config_write(const struct wgt_maps *m, const struct wgt_config *c)
{
	__u32 zero = 0;

	return bpf_map_update_elem(m->config, &zero, c, BPF_ANY);
}

int counters_read(const struct wgt_maps *m, __u64 out[WGT_REASON_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct wgt_counters *v;
	__u32 zero = 0;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return -1;
	memset(out, 0, sizeof(__u64) * WGT_REASON_MAX);
	if (bpf_map_lookup_elem(m->counters, &zero, v)) {
		free(v);
		return -1;
	}
	for (int c = 0; c < ncpu; c++)
		for (int r = 0; r < WGT_REASON_MAX; r++)
			out[r] += ((__u64 *)&v[c])[r];
	free(v);
	return 0;
}

int stats_read(const struct wgt_maps *m, const struct wgt_ep *ep,
	       struct wgt_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wgt_stats *v;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return -1;
	if (bpf_map_lookup_elem(m->stats, ep, v)) {
		free(v);
		return -1;
	}
	for (int c = 0; c < ncpu; c++) {
		out->rx_packets += v[c].rx_packets;
		out->rx_bytes += v[c].rx_bytes;
		out->tx_packets += v[c].tx_packets;
		out->tx_bytes += v[c].tx_bytes;
		if (v[c].last_rx_ns > out->last_rx_ns)
			out->last_rx_ns = v[c].last_rx_ns;
		if (v[c].last_tx_ns > out->last_tx_ns)
			out->last_tx_ns = v[c].last_tx_ns;
	}
	free(v);
	return 0;
}

int uplinks_read(const struct wgt_maps *m,
		 struct wgt_uplink out[WGT_MAX_UPLINKS])
{
	for (__u32 i = 0; i < WGT_MAX_UPLINKS; i++)
		if (bpf_map_lookup_elem(m->uplinks, &i, &out[i]))
			return -1;
	return 0;
}
