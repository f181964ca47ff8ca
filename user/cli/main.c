// SPDX-License-Identifier: GPL-2.0
/* wgturn command line: attach, detach, peer set/del, show. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/addr.h"
#include "base/err.h"
#include "daemon/daemon.h"
#include "dp/loader.h"
#include "base/log.h"
#include "dp/maps.h"
#include "dp/peers.h"
#include "dp/pins.h"
#include "show.h"
#include "usage.h"
#include "daemon/upconf.h"

static const char *opt_bpffs;

static const char usage_notes[] =
"ENDPOINT, RELAY, ADDR: a.b.c.d:port or [v6addr]:port; CHAN: 0x4000-0x4FFF.\n"
"--xdp-mode off: no XDP; a TC ingress program strips ChannelData instead.\n"
"Pins live in DIR/wgturn/NAME; DIR is --bpffs, $WGTURN_BPFFS or /sys/fs/bpf.\n"
"up: credentials from --password-file, or REST ones from --auth-secret-file;\n"
"  with no relay options and no --config, up reads DIR/WGIF.conf, DIR being\n"
"  $WGTURN_CONFIG_DIR or /etc/wgturn. SIGHUP (or reload) re-reads it.\n"
"Exit status: 0 success, 1 runtime error, 2 usage error.\n";

static const struct cli_cmd cmds[];
static const size_t n_cmds;

/* The usage of one command, or of all (cmd NULL): from the table. */
static void usage(FILE *f, const struct cli_cmd *cmd)
{
	fputs("Usage: wgturn [--bpffs DIR] [-v] [--version] COMMAND ...\n", f);
	cli_usage(f, cmds, n_cmds, cmd);
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

/*
 * getopt_long with the project's rules: no message of its own (it would
 * print --password=SECRET back), options that name secrets' files never
 * abbreviated. Returns the option, -1 at the end, or 2 after printing a
 * usage error (no option uses 2 as its value).
 */
static int next_option(const struct cli_cmd *cmd, int argc, char **argv,
		       const struct option *opts)
{
	char name[64], msg[256];
	int c;

	if (optind == 1 && cli_find_abbrev(cmd, argc, argv, name, sizeof(name))) {
		snprintf(msg, sizeof(msg),
			 "%s: unknown option '%s' (options naming secrets' files are never abbreviated)",
			 cmd->name, name);
		return usage_error("%s", msg);
	}
	opterr = 0;
	c = getopt_long(argc, argv, ":", opts, NULL);
	if (c != '?' && c != ':')
		return c;
	cli_option_name(argv[optind - 1], name, sizeof(name));
	snprintf(msg, sizeof(msg), c == ':' ? "%s: option '%s' needs a value" :
		 "%s: unknown option '%s'", cmd->name, name);
	return usage_error("%s", msg);
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

/* --uplink IF, for attach and up; a usage error is printed. */
static int add_uplink(char list[][IF_NAMESIZE], int *n, const char *ifname)
{
	if (*n == WGT_MAX_UPLINKS)
		return usage_error("at most 8 uplinks%s", "");
	if (strlen(ifname) >= IF_NAMESIZE || !*ifname)
		return usage_error("invalid interface name '%s'", ifname);
	strcpy(list[(*n)++], ifname);
	return 0;
}

/* A library call's outcome as the exit status, its messages printed. */
static int done(int rc, const struct wgt_err *e)
{
	log_report(e, rc);
	return rc ? 1 : 0;
}

static int cmd_attach(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct option opts[CLI_MAX_OPTS + 1];
	struct attach_opts o = {};
	struct wgt_err e = {};
	struct wgt_pins p;
	const char *name;
	int c;

	cli_getopt_table(cmd, opts);
	optind = 1;
	while ((c = next_option(cmd, argc, argv, opts)) != -1) {
		switch (c) {
		case 2:
			return 2;
		case 'u':
			if (add_uplink(o.uplinks, &o.n_uplinks, optarg))
				return 2;
			break;
		case 'p':
			if (port_parse(optarg, &o.port))
				return usage_error("invalid port '%s': expected 1-65535",
						   optarg);
			break;
		case 'x':
			if (xdp_req_parse(optarg, &o.xdp))
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
	if (need_privilege(true))
		return 1;
	if (pins_resolve(opt_bpffs, name, &p, &e))
		return done(-1, &e);
	return done(wgt_attach(&p, &o, &e), &e);
}

static int cmd_detach(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct wgt_err e = {};
	struct wgt_pins p;

	if (argc != 2)
		return usage_error("detach needs exactly one NAME%s", "");
	if (need_privilege(true))
		return 1;
	if (pins_resolve(opt_bpffs, argv[1], &p, &e))
		return done(-1, &e);
	return done(wgt_detach(&p, &e), &e);
}

/* Prints its error. */
static int open_instance(const char *name, struct wgt_pins *p,
			 struct wgt_maps *m)
{
	struct wgt_err e = {};

	if (need_privilege(false))
		return -1;
	if (pins_resolve(opt_bpffs, name, p, &e) || maps_open(p, m, &e)) {
		log_report(&e, 1);
		return -1;
	}
	return 0;
}

static int cmd_peer_set(int argc, char **argv)
{
	struct wgt_path path = {};
	struct wgt_err e = {};
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
	ret = peer_set(&m, &ep, &path, &e);
	maps_close(&m);
	return done(ret, &e);
}

static int cmd_peer(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct wgt_err e = {};
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
		ret = peer_del(&m, &ep, &e);
		maps_close(&m);
		return done(ret, &e);
	}
	return usage_error("peer: expected 'set' or 'del'%s", "");
}

static int cmd_up(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct option opts[CLI_MAX_OPTS + 1];
	static struct up_conf c;
	struct relay_conf r = { .port = 0 };
	const char *config = NULL;
	bool relay_given;
	enum xdp_req xdp = XDP_REQ_AUTO;
	bool xdp_given = false, metrics_given = false;
	bool metrics_file_given = false;
	char default_config[4096];
	char why[512];
	int o;

	cli_getopt_table(cmd, opts);
	optind = 1;
	while ((o = next_option(cmd, argc, argv, opts)) != -1) {
		switch (o) {
		case 2:
			return 2;
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
		case 'a':
			snprintf(r.secret_file, sizeof(r.secret_file), "%s",
				 optarg);
			break;
		case 'L':
			if (lifetime_parse(optarg, &r.cred_lifetime))
				return usage_error("invalid --credential-lifetime '%s': expected seconds, at least 10",
						   optarg);
			break;
		case 'm':
			snprintf(c.metrics, sizeof(c.metrics), "%s", optarg);
			metrics_given = true;
			break;
		case 'M':
			snprintf(c.metrics_file, sizeof(c.metrics_file), "%s",
				 optarg);
			metrics_file_given = true;
			break;
		case 'i':
			if (add_uplink(c.uplinks, &c.n_uplinks, optarg))
				return 2;
			break;
		case 'c':
			config = optarg;
			break;
		case 'w':
			snprintf(c.wg_config, sizeof(c.wg_config), "%s", optarg);
			break;
		case 'z': case 'd': case 'k': case 'P': case 'D':
			if (rdv_conf_set(&c.rdv, o == 'z' ? "Zone" :
					 o == 'd' ? "Server" : o == 'k' ?
					 "TsigKeyFile" : o == 'P' ? "Publish" :
					 "Direct", optarg,
					 why, sizeof(why)))
				return usage_error("%s", why);
			break;
		case 'f':
			c.foreground = true;
			break;
		case 'x':
			if (xdp_req_parse(optarg, &xdp))
				return usage_error("invalid --xdp-mode '%s': expected auto, native, skb or off",
						   optarg);
			xdp_given = true;
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
	relay_given = r.host[0] || r.username[0] || r.password_file[0] ||
		      r.secret_file[0] || r.cred_lifetime;
	/* No relay on the command line: the default config, as wg-quick
	 * reads /etc/wireguard/WGIF.conf. */
	if (!config && !relay_given) {
		const char *dir = getenv("WGTURN_CONFIG_DIR");

		snprintf(default_config, sizeof(default_config), "%s/%s.conf",
			 dir && *dir ? dir : UP_CONFIG_DIR, c.wgif);
		if (access(default_config, F_OK)) {
			char msg[sizeof(default_config) + 200];

			snprintf(msg, sizeof(msg), "up %s needs --relay, --username and --password-file or --auth-secret-file, --config FILE, or a config file at %s",
				 c.wgif, default_config);
			return usage_error("%s", msg);
		}
		config = default_config;
	}
	if (config) {
		struct up_conf cli = c;

		if (relay_given)
			return usage_error("up: --config excludes --relay, --username, --password-file, --auth-secret-file and --credential-lifetime%s",
					   "");
		if (up_conf_load(config, &c, why, sizeof(why))) {
			pr_err("%s", why);
			return 1;
		}
		snprintf(c.config_path, sizeof(c.config_path), "%s", config);
		/* the command line over the file */
		if (xdp_given)
			c.xdp = xdp;
		if (metrics_given)
			memcpy(c.metrics, cli.metrics, sizeof(c.metrics));
		if (metrics_file_given)
			memcpy(c.metrics_file, cli.metrics_file,
			       sizeof(c.metrics_file));
	} else {
		c.xdp = xdp;
		if (!r.host[0] || !r.username[0] ||
		    (!r.password_file[0] && !r.secret_file[0]))
			return usage_error("up %s needs --relay, --username and --password-file or --auth-secret-file (or --config)",
					   c.wgif);
		if (r.password_file[0] && r.secret_file[0])
			return usage_error("up: --password-file and --auth-secret-file exclude each other%s", "");
		if (r.cred_lifetime && !r.secret_file[0])
			return usage_error("up: --credential-lifetime goes with --auth-secret-file%s", "");
		relay_conf_check(&r, why, sizeof(why));	/* defaults */
		c.relays[c.n_relays++] = r;
		if (rdv_conf_check(&c.rdv, why, sizeof(why)))
			return usage_error("%s", why);
	}
	if (need_privilege(true))
		return 1;
	return daemon_up(&c, opt_bpffs);
}

/* SIGHUP to WGIF's daemon: it re-reads its config (systemctl reload). */
static int cmd_reload(const struct cli_cmd *cmd, int argc, char **argv)
{
	if (argc != 2)
		return usage_error("reload needs exactly one WGIF%s", "");
	if (need_privilege(true))
		return 1;
	return daemon_reload_signal(argv[1]);
}

static int cmd_down(const struct cli_cmd *cmd, int argc, char **argv)
{
	if (argc != 2)
		return usage_error("down needs exactly one WGIF%s", "");
	if (need_privilege(true))
		return 1;
	return daemon_down(argv[1], opt_bpffs);
}

/*
 * show [NAME | all | interfaces] [dump] [--json], as `wg show` takes
 * { <interface> | all | interfaces } [dump]: no word or `all` is every
 * instance, `dump` alone is `all dump`; --json anywhere.
 */
static int cmd_show(const struct cli_cmd *cmd, int argc, char **argv)
{
	bool json = false, dump = false, ifaces = false;
	const char *name = NULL;
	struct wgt_err e = {};
	struct wgt_pins p;
	int words = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			json = true;
		} else if (a[0] == '-') {
			return usage_error("show: unknown option '%s'", a);
		} else if (words++ == 0) {
			if (!strcmp(a, "dump"))
				dump = true;
			else if (!strcmp(a, "interfaces"))
				ifaces = true;
			else if (strcmp(a, "all"))
				name = a;
		} else if (words == 2 && !strcmp(a, "dump") && !dump &&
			   !ifaces) {
			dump = true;
		} else {
			return usage_error("show: unexpected '%s'", a);
		}
	}
	if (ifaces && json)
		return usage_error("show interfaces takes no --json (show --json | jq -r '.[].name')%s", "");
	if (dump && json)
		return usage_error("show: dump and --json exclude each other%s", "");
	if (name && !name_valid(name))
		return usage_error("show: invalid name '%s': use up to 63 of A-Z a-z 0-9 _ . -",
				   name);
	if (need_privilege(false))
		return 1;
	if (pins_resolve(opt_bpffs, name, &p, &e))
		return done(-1, &e);
	if (ifaces)
		return show_interfaces(&p) ? 1 : 0;
	return show(&p, json ? SHOW_JSON : dump ? SHOW_DUMP : SHOW_TEXT) ?
		       1 : 0;
}

/*
 * The commands, in the order `wgturn --help` lists them. A form is one
 * way of calling the command: its positional arguments, and the options
 * whose forms bit is set (required where their required bit is).
 */
#define F0 1u
#define F1 2u
#define F2 4u
static const struct cli_cmd cmds[] = {
	{ "attach", { "NAME" }, {
		{ "uplink", "IF", 'u', F0, F0, true, false },
		{ "port", "WGPORT", 'p', F0, F0, false, false },
		{ "xdp-mode", "auto|native|skb|off", 'x', F0, 0, false, false },
	  }, cmd_attach },
	{ "detach", { "NAME" }, { { NULL } }, cmd_detach },
	{ "peer", { "set NAME ENDPOINT relay RELAY channel CHAN",
		    "set NAME ENDPOINT direct ADDR", "del NAME ENDPOINT" },
	  { { NULL } }, cmd_peer },
	/* forms: a table or JSON; the dump; the names */
	{ "show", { "[NAME | all]", "[NAME | all] dump", "interfaces" }, {
		{ "json", NULL, 'j', F0, 0, false, false },
	  }, cmd_show },
	/* forms: relay options; a config file; the default config file */
	{ "up", { "WGIF", "WGIF", "WGIF" }, {
		{ "relay", "turn:HOST[:PORT]", 'r', F0, F0, false, false },
		{ "username", "USER", 'u', F0, F0, false, false },
		{ "password-file", "FILE", 'p', F0, 0, false, true },
		{ "auth-secret-file", "FILE", 'a', F0, 0, false, true },
		{ "credential-lifetime", "SECONDS", 'L', F0, 0, false, false },
		{ "config", "FILE", 'c', F1, F1, false, false },
		{ "zone", "ZONE", 'z', F0, 0, false, false },
		{ "dns-server", "HOST[:PORT]", 'd', F0, 0, false, false },
		{ "tsig-key-file", "FILE", 'k', F0, 0, false, true },
		{ "publish", "yes|no", 'P', F0, 0, false, false },
		{ "direct", "yes|no", 'D', F0, 0, false, false },
		{ "wg-config", "FILE", 'w', F0 | F1 | F2, 0, false, false },
		{ "uplink", "IF", 'i', F0 | F1 | F2, 0, true, false },
		{ "xdp-mode", "auto|native|skb|off", 'x', F0 | F1 | F2, 0, false, false },
		{ "metrics", "ADDR:PORT", 'm', F0 | F1 | F2, 0, false, false },
		{ "metrics-file", "FILE", 'M', F0 | F1 | F2, 0, false, false },
		{ "foreground", NULL, 'f', F0 | F1 | F2, 0, false, false },
	  }, cmd_up },
	{ "reload", { "WGIF" }, { { NULL } }, cmd_reload },
	{ "down", { "WGIF" }, { { NULL } }, cmd_down },
};
static const size_t n_cmds = sizeof(cmds) / sizeof(cmds[0]);

int main(int argc, char **argv)
{
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
	for (size_t c = 0; c < n_cmds; c++) {
		if (strcmp(argv[i], cmds[c].name))
			continue;
		/* CMD --help anywhere after CMD: that command's usage. */
		for (int j = i + 1; j < argc; j++) {
			if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
				usage(stdout, &cmds[c]);
				return 0;
			}
		}
		return cmds[c].fn(&cmds[c], argc - i, argv + i);
	}
	return usage_error("unknown command '%s'", argv[i]);
}
