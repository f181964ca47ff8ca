// SPDX-License-Identifier: GPL-2.0
/* wgturn command line: attach, detach, peer set/del, show. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "loader.h"
#include "log.h"
#include "maps.h"
#include "peers.h"
#include "pins.h"
#include "show.h"

static const char *opt_bpffs;

static const char usage_text[] =
"Usage: wgturn [--bpffs DIR] [-v] COMMAND ...\n"
"  attach NAME --uplink IF [--uplink IF]... --port WGPORT\n"
"              [--xdp-mode auto|native|skb|off]\n"
"  detach NAME\n"
"  peer set NAME ENDPOINT relay RELAY channel CHAN\n"
"  peer set NAME ENDPOINT direct ADDR\n"
"  peer del NAME ENDPOINT\n"
"  show [NAME] [--json]\n"
"ENDPOINT, RELAY, ADDR: a.b.c.d:port or [v6addr]:port; CHAN: 0x4000-0x4FFF.\n"
"--xdp-mode off: no XDP; a TC ingress program strips ChannelData instead.\n"
"Pins live in DIR/wgturn/NAME; DIR is --bpffs, $WGTURN_BPFFS or /sys/fs/bpf.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("wgturn: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'wgturn --help')\n", stderr);
	return 1;
}

/* CapEff bits: CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21, CAP_BPF 39. */
static bool privileged(bool net_admin)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return true; /* let the kernel decide */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	if (!(eff & (1ull << 21)) && !(eff & (1ull << 39)))
		return false;
	return !net_admin || (eff & (1ull << 12));
}

static int need_privilege(bool net_admin)
{
	if (privileged(net_admin))
		return 0;
	err("permission denied: wgturn needs root (CAP_BPF%s)",
	    net_admin ? " and CAP_NET_ADMIN" : "");
	return -1;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uplink", required_argument, NULL, 'u' },
		{ "port", required_argument, NULL, 'p' },
		{ "xdp-mode", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	struct attach_opts o = {};
	struct wgt_pins p;
	const char *name;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			if (o.n_uplinks == WGT_MAX_UPLINKS)
				return usage_error("at most 8 uplinks%s", "");
			if (strlen(optarg) >= IF_NAMESIZE || !*optarg)
				return usage_error("invalid interface name '%s'",
						   optarg);
			strcpy(o.uplinks[o.n_uplinks++], optarg);
			break;
		case 'p':
			if (port_parse(optarg, &o.port))
				return usage_error("invalid port '%s': expected 1-65535",
						   optarg);
			break;
		case 'x':
			if (!strcmp(optarg, "auto"))
				o.xdp = XDP_REQ_AUTO;
			else if (!strcmp(optarg, "native"))
				o.xdp = XDP_REQ_NATIVE;
			else if (!strcmp(optarg, "skb"))
				o.xdp = XDP_REQ_SKB;
			else if (!strcmp(optarg, "off"))
				o.xdp = XDP_REQ_OFF;
			else
				return usage_error("invalid --xdp-mode '%s': expected auto, native, skb or off",
						   optarg);
			break;
		default:
			return usage_error("attach: bad option%s", "");
		}
	}
	if (optind != argc - 1)
		return usage_error("attach needs exactly one NAME%s", "");
	name = argv[optind];
	if (!o.n_uplinks)
		return usage_error("attach %s needs --uplink IF", name);
	if (!o.port)
		return usage_error("attach %s needs --port WGPORT", name);
	if (need_privilege(true) || pins_resolve(opt_bpffs, name, &p))
		return 1;
	return wgt_attach(&p, &o) ? 1 : 0;
}

static int cmd_detach(int argc, char **argv)
{
	struct wgt_pins p;

	if (argc != 2)
		return usage_error("detach needs exactly one NAME%s", "");
	if (need_privilege(true) || pins_resolve(opt_bpffs, argv[1], &p))
		return 1;
	return wgt_detach(&p) ? 1 : 0;
}

static int open_instance(const char *name, struct wgt_pins *p,
			 struct wgt_maps *m)
{
	if (need_privilege(false) || pins_resolve(opt_bpffs, name, p))
		return -1;
	return maps_open(p, m);
}

static int cmd_peer_set(int argc, char **argv)
{
	struct wgt_path path = {};
	struct wgt_maps m;
	struct wgt_pins p;
	struct wgt_ep ep;
	char why[160];
	int ret;

	/* set NAME ENDPOINT relay RELAY channel CHAN | direct ADDR */
	if (argc < 5)
		return usage_error("peer set needs NAME ENDPOINT relay RELAY channel CHAN, or NAME ENDPOINT direct ADDR%s",
				   "");
	if (ep_parse(argv[2], &ep, why, sizeof(why)))
		return usage_error("%s", why);
	if (!strcmp(argv[3], "relay")) {
		if (argc != 7 || strcmp(argv[5], "channel"))
			return usage_error("peer set: expected 'relay RELAY channel CHAN'%s",
					   "");
		if (ep_parse(argv[4], &path.via, why, sizeof(why)) ||
		    chan_parse(argv[6], &path.channel, why, sizeof(why)))
			return usage_error("%s", why);
		path.kind = WGT_PATH_RELAY;
	} else if (!strcmp(argv[3], "direct")) {
		if (argc != 5)
			return usage_error("peer set: expected 'direct ADDR'%s", "");
		if (ep_parse(argv[4], &path.via, why, sizeof(why)))
			return usage_error("%s", why);
		path.kind = WGT_PATH_DIRECT;
	} else {
		return usage_error("peer set: unknown path '%s': expected relay or direct",
				   argv[3]);
	}
	if (path.via.family != ep.family)
		return usage_error("peer set: endpoint and %s must be the same address family",
				   path.kind == WGT_PATH_RELAY ? "relay" :
								 "direct address");
	if (open_instance(argv[1], &p, &m))
		return 1;
	ret = peer_set(&m, &ep, &path);
	maps_close(&m);
	return ret ? 1 : 0;
}

static int cmd_peer(int argc, char **argv)
{
	struct wgt_maps m;
	struct wgt_pins p;
	struct wgt_ep ep;
	char why[160];
	int ret;

	if (argc >= 2 && !strcmp(argv[1], "set"))
		return cmd_peer_set(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "del")) {
		if (argc != 4)
			return usage_error("peer del needs NAME ENDPOINT%s", "");
		if (ep_parse(argv[3], &ep, why, sizeof(why)))
			return usage_error("%s", why);
		if (open_instance(argv[2], &p, &m))
			return 1;
		ret = peer_del(&m, &ep);
		maps_close(&m);
		return ret ? 1 : 0;
	}
	return usage_error("peer: expected 'set' or 'del'%s", "");
}

static int cmd_show(int argc, char **argv)
{
	const char *name = NULL;
	struct wgt_pins p;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-' || name)
			return usage_error("show: unexpected '%s'", argv[i]);
		else
			name = argv[i];
	}
	if (need_privilege(false) || pins_resolve(opt_bpffs, name, &p))
		return 1;
	return show(&p, json) ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "attach", cmd_attach }, { "detach", cmd_detach },
		{ "peer", cmd_peer },	  { "show", cmd_show },
	};
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else if (!strcmp(argv[i], "-v") ||
			   !strcmp(argv[i], "--verbose")) {
			log_verbose = 1;
		} else if (!strcmp(argv[i], "--bpffs") && i + 1 < argc) {
			opt_bpffs = argv[++i];
		} else if (!strncmp(argv[i], "--bpffs=", 8)) {
			opt_bpffs = argv[i] + 8;
		} else {
			return usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (i == argc) {
		fputs(usage_text, stderr);
		return 1;
	}
	log_setup_libbpf();
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (!strcmp(argv[i], cmds[c].name))
			return cmds[c].fn(argc - i, argv + i);
	return usage_error("unknown command '%s'", argv[i]);
}
