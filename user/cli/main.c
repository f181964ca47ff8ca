// SPDX-License-Identifier: GPL-2.0
/* wgturn command line: attach, detach, peer set/del, show. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/addr.h"
#include "daemon/daemon.h"
#include "dp/loader.h"
#include "base/log.h"
#include "dp/maps.h"
#include "dp/peers.h"
#include "dp/pins.h"
#include "show.h"
#include "daemon/upconf.h"

static const char *opt_bpffs;

/* Each command's synopsis, in the order `wgturn --help` lists them;
 * `wgturn CMD --help` prints only CMD's. */
static const struct cmd_usage {
	const char *name;
	const char *synopsis;	/* lines after "wgturn " */
} usages[] = {
	{ "attach", "attach NAME --uplink IF [--uplink IF]... --port WGPORT\n"
		    "              [--xdp-mode auto|native|skb|off]\n" },
	{ "detach", "detach NAME\n" },
	{ "peer", "peer set NAME ENDPOINT relay RELAY channel CHAN\n"
		  "  peer set NAME ENDPOINT direct ADDR\n"
		  "  peer del NAME ENDPOINT\n" },
	{ "show", "show [NAME] [--json]\n" },
	{ "up", "up WGIF --relay turn:HOST[:PORT] --username USER --password-file FILE\n"
		"          [--uplink IF]... [--foreground]\n"
		"  up WGIF --config FILE [--foreground]\n" },
	{ "down", "down WGIF\n" },
};

static const char usage_notes[] =
"ENDPOINT, RELAY, ADDR: a.b.c.d:port or [v6addr]:port; CHAN: 0x4000-0x4FFF.\n"
"--xdp-mode off: no XDP; a TC ingress program strips ChannelData instead.\n"
"Pins live in DIR/wgturn/NAME; DIR is --bpffs, $WGTURN_BPFFS or /sys/fs/bpf.\n"
"Exit status: 0 success, 1 runtime error, 2 usage error.\n";

/* The usage of one command, or of all (cmd NULL). */
static void usage(FILE *f, const char *cmd)
{
	fputs("Usage: wgturn [--bpffs DIR] [-v] [--version] COMMAND ...\n", f);
	for (size_t i = 0; i < sizeof(usages) / sizeof(usages[0]); i++)
		if (!cmd || !strcmp(cmd, usages[i].name))
			fprintf(f, "  %s", usages[i].synopsis);
	fputs(usage_notes, f);
}

/* Usage errors exit 2, runtime errors 1 (as getopt-based tools do). */
static int usage_error(const char *fmt, const char *arg)
{
	fputs("wgturn: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see 'wgturn --help')\n", stderr);
	return 2;
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
	pr_err("permission denied: wgturn needs root (CAP_BPF%s)",
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

static int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "relay", required_argument, NULL, 'r' },
		{ "username", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "uplink", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	static struct up_conf c;
	struct relay_conf r = { .port = 0 };
	const char *config = NULL;
	char why[512];
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r':
			if (turn_uri_parse(optarg, r.host, sizeof(r.host), &r.port,
					   why, sizeof(why)))
				return usage_error("%s", why);
			break;
		case 'u':
			snprintf(r.username, sizeof(r.username), "%s", optarg);
			break;
		case 'p':
			snprintf(r.password_file, sizeof(r.password_file), "%s",
				 optarg);
			break;
		case 'i':
			if (c.n_uplinks == WGT_MAX_UPLINKS)
				return usage_error("at most 8 uplinks%s", "");
			if (strlen(optarg) >= IF_NAMESIZE || !*optarg)
				return usage_error("invalid interface name '%s'",
						   optarg);
			strcpy(c.uplinks[c.n_uplinks++], optarg);
			break;
		case 'c':
			config = optarg;
			break;
		case 'f':
			c.foreground = true;
			break;
		default:
			return usage_error("up: bad option%s", "");
		}
	}
	if (optind != argc - 1)
		return usage_error("up needs exactly one WGIF%s", "");
	if (strlen(argv[optind]) >= IF_NAMESIZE)
		return usage_error("invalid interface name '%s'", argv[optind]);
	strcpy(c.wgif, argv[optind]);
	if (config) {
		if (r.host[0] || r.username[0] || r.password_file[0])
			return usage_error("up: --config excludes --relay, --username and --password-file%s",
					   "");
		if (up_conf_load(config, &c, why, sizeof(why))) {
			pr_err("%s", why);
			return 1;
		}
	} else {
		if (!r.host[0] || !r.username[0] || !r.password_file[0])
			return usage_error("up %s needs --relay, --username and --password-file (or --config)",
					   c.wgif);
		c.relays[c.n_relays++] = r;
	}
	if (need_privilege(true))
		return 1;
	return daemon_up(&c, opt_bpffs);
}

static int cmd_down(int argc, char **argv)
{
	if (argc != 2)
		return usage_error("down needs exactly one WGIF%s", "");
	if (need_privilege(true))
		return 1;
	return daemon_down(argv[1], opt_bpffs);
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
		{ "up", cmd_up },	  { "down", cmd_down },
	};
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout, NULL);
			return 0;
		} else if (!strcmp(argv[i], "-V") ||
			   !strcmp(argv[i], "--version")) {
			printf("wgturn %s\n", WGT_VERSION);
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
	if (i == argc)
		return usage_error("no command given%s", "");
	log_setup_libbpf();
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		if (strcmp(argv[i], cmds[c].name))
			continue;
		/* CMD --help anywhere after CMD: that command's usage. */
		for (int j = i + 1; j < argc; j++) {
			if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
				usage(stdout, cmds[c].name);
				return 0;
			}
		}
		return cmds[c].fn(argc - i, argv + i);
	}
	return usage_error("unknown command '%s'", argv[i]);
}
