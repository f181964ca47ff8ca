// SPDX-License-Identifier: GPL-2.0
/* `wgturn up` inputs: turn: URIs, password files, the INI config. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "daemon/upconf.h"

static void uri_ok(const char *uri, const char *host, uint16_t port)
{
	char h[UP_HOST_MAX], why[200];
	uint16_t p;

	assert_int_equal(turn_uri_parse(uri, h, sizeof(h), &p, why, sizeof(why)), 0);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void uri_bad(const char *uri, const char *reason)
{
	char h[UP_HOST_MAX], why[200] = "";
	uint16_t p;

	assert_int_equal(turn_uri_parse(uri, h, sizeof(h), &p, why, sizeof(why)), -1);
	assert_non_null(strstr(why, reason));
}

static void test_turn_uri(void **state)
{
	uri_ok("turn:203.0.113.1", "203.0.113.1", 3478);
	uri_ok("turn:203.0.113.1:3479", "203.0.113.1", 3479);
	uri_ok("TURN:relay.example.org?transport=udp", "relay.example.org", 3478);
	uri_ok("turn:[2001:db8::1]", "2001:db8::1", 3478);
	uri_ok("turn:[2001:db8::1]:5349", "2001:db8::1", 5349);
	uri_bad("turns:203.0.113.1", "TLS");
	uri_bad("stun:203.0.113.1", "not a turn: URI");
	uri_bad("turn:203.0.113.1?transport=tcp", "only UDP");
	uri_bad("turn:", "invalid TURN URI");
	uri_bad("turn:203.0.113.1:", "invalid TURN URI");
	uri_bad("turn:203.0.113.1:70000", "invalid TURN URI");
	uri_bad("turn:[2001:db8::1", "invalid TURN URI");
	uri_bad("turn:[2001:db8::1]x", "invalid TURN URI");
}

static char dir[] = "/tmp/wgt-upconf-XXXXXX";

static const char *write_file(const char *name, const char *text, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static void test_password_file(void **state)
{
	char buf[UP_PASS_MAX], why[300];

	assert_int_equal(password_read(write_file("p1", "s3cret\n", 0600), buf,
				       sizeof(buf), why, sizeof(why)), 0);
	assert_string_equal(buf, "s3cret");
	assert_int_equal(password_read(write_file("p2", "x", 0644), buf,
				       sizeof(buf), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "accessible by others (mode 0644)"));
	assert_int_equal(password_read(write_file("p3", "x", 0640), buf,
				       sizeof(buf), why, sizeof(why)), -1);
	assert_int_equal(password_read(write_file("p4", "\n", 0600), buf,
				       sizeof(buf), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "empty"));
	assert_int_equal(password_read("/nonexistent/wgt", buf, sizeof(buf),
				       why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot open"));
}

static void test_config(void **state)
{
	struct up_conf c = {};
	char why[300];
	const char *p = write_file("a.conf",
		"[Interface]\nUplink = eth0\nUplink = eth1\nXdpMode = off\n\n"
		"[Relay]\nServer = turn:203.0.113.1\nUsername = alice\n"
		"PasswordFile = /etc/wgturn/a.pass\n\n"
		"# a second relay, tried if the first does not answer\n"
		"[Relay]\nServer = turn:[2001:db8::1]:3479\nUsername = bob\n"
		"PasswordFile = /etc/wgturn/b.pass\n", 0600);

	assert_int_equal(up_conf_load(p, &c, why, sizeof(why)), 0);
	assert_int_equal(c.n_uplinks, 2);
	assert_string_equal(c.uplinks[1], "eth1");
	assert_int_equal(c.xdp, XDP_REQ_OFF);
	assert_int_equal(c.n_relays, 2);
	assert_string_equal(c.relays[0].host, "203.0.113.1");
	assert_int_equal(c.relays[0].port, 3478);
	assert_string_equal(c.relays[0].username, "alice");
	assert_string_equal(c.relays[1].host, "2001:db8::1");
	assert_int_equal(c.relays[1].port, 3479);
	assert_string_equal(c.relays[1].password_file, "/etc/wgturn/b.pass");
}

/* [Rendezvous]: zone, server (host, host:port, [v6]:port, bare v6),
 * key file, publish. */
static void test_config_rendezvous(void **state)
{
	struct up_conf c = {};
	char why[300], host[UP_HOST_MAX];
	uint16_t port;
	const char *p = write_file("r.conf",
		"[Relay]\nServer = turn:203.0.113.1\nUsername = a\nPasswordFile = /p\n"
		"[Rendezvous]\nZone = wg.example.org\nServer = [2001:db8::53]:5353\n"
		"TsigKeyFile = /etc/wgturn/k.key\n", 0600);

	assert_int_equal(up_conf_load(p, &c, why, sizeof(why)), 0);
	assert_string_equal(c.rdv.zone, "wg.example.org");
	assert_string_equal(c.rdv.server, "2001:db8::53");
	assert_int_equal(c.rdv.port, 5353);
	assert_string_equal(c.rdv.tsig_file, "/etc/wgturn/k.key");
	assert_true(c.rdv.publish);	/* the default */
	assert_true(c.rdv.direct);	/* the default */

	/* Direct = no: always relay */
	memset(&c, 0, sizeof(c));
	p = write_file("d.conf",
		"[Relay]\nServer = turn:203.0.113.1\nUsername = a\nPasswordFile = /p\n"
		"[Rendezvous]\nZone = wg.example.org\nServer = 198.51.100.53\n"
		"TsigKeyFile = /k\nDirect = no\n", 0600);
	assert_int_equal(up_conf_load(p, &c, why, sizeof(why)), 0);
	assert_false(c.rdv.direct);

	assert_int_equal(dns_server_parse("198.51.100.53", host, sizeof(host), &port, why, sizeof(why)), 0);
	assert_string_equal(host, "198.51.100.53");
	assert_int_equal(port, 53);
	assert_int_equal(dns_server_parse("ns.example:54", host, sizeof(host), &port, why, sizeof(why)), 0);
	assert_string_equal(host, "ns.example");
	assert_int_equal(port, 54);
	assert_int_equal(dns_server_parse("2001:db8::53", host, sizeof(host), &port, why, sizeof(why)), 0);
	assert_string_equal(host, "2001:db8::53");
	assert_int_equal(port, 53);
	assert_int_equal(dns_server_parse("[2001:db8::53", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_int_equal(dns_server_parse("ns:99999", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "invalid DNS server 'ns:99999'"));
}

static void conf_bad(const char *text, const char *reason)
{
	struct up_conf c = {};
	char why[300] = "";

	assert_int_equal(up_conf_load(write_file("bad.conf", text, 0600), &c,
				      why, sizeof(why)), -1);
	if (!strstr(why, reason))
		fail_msg("'%s' does not say '%s'", why, reason);
}

/* REST credentials, several relays in order, the metrics keys. */
static void test_config_relays(void **state)
{
	struct up_conf c = {};
	char why[300] = "";

	assert_int_equal(up_conf_load(write_file("r.conf",
		"[Interface]\nMetrics = 127.0.0.1:9586   # wg-quick style comment\nMetricsFile = /var/lib/m.prom\t#x\n"
		"[Relay]\nServer = turn:r1.example ; inih's own\nUsername = site-a\nAuthSecretFile = /etc/wgturn/s#not-a-comment\n"
		"[Relay]\nServer = turn:192.0.2.2:3479\nUsername = u\nPasswordFile = /p\n"
		"[Relay]\nServer = turn:r3\nUsername = v\nAuthSecretFile = /s3\nCredentialLifetime = 600\n",
		0600), &c, why, sizeof(why)), 0);
	assert_int_equal(c.n_relays, 3);
	assert_string_equal(c.relays[0].host, "r1.example");
	assert_string_equal(c.relays[0].secret_file, "/etc/wgturn/s#not-a-comment");
	assert_string_equal(c.relays[0].password_file, "");
	assert_int_equal(c.relays[0].cred_lifetime, UP_CRED_LIFETIME_DEFAULT);
	assert_string_equal(c.relays[1].host, "192.0.2.2");
	assert_int_equal(c.relays[1].port, 3479);
	assert_string_equal(c.relays[1].password_file, "/p");
	assert_int_equal(c.relays[2].cred_lifetime, 600);
	assert_string_equal(c.metrics, "127.0.0.1:9586");
	assert_string_equal(c.metrics_file, "/var/lib/m.prom");
}

static void test_config_errors(void **state)
{
	conf_bad("[Interface]\nUplink = eth0\n", "no [Relay]");
	conf_bad("[Relay]\nServer = turn:x\nUsername = a\n", "[Relay] 1: a relay needs Server, Username and either PasswordFile or AuthSecretFile");
	conf_bad("[Relay]\nServer = turn:x\nUsername = a\nPasswordFile = /p\nAuthSecretFile = /s\n",
		 "either PasswordFile or AuthSecretFile");
	conf_bad("[Relay]\nServer = turn:x\nUsername = a\nPasswordFile = /p\nCredentialLifetime = 60\n",
		 "CredentialLifetime goes with AuthSecretFile");
	conf_bad("[Relay]\nServer = turn:x\nUsername = a\nAuthSecretFile = /s\nCredentialLifetime = 5\n",
		 "line 5: invalid CredentialLifetime '5': expected seconds, at least 10");
	conf_bad("[Relay]\nServer = turn:x\nUsername = a\nAuthSecretFile = /s\nCredentialLifetime = 1h\n",
		 "invalid CredentialLifetime '1h'");
	conf_bad("[Relay]\nServer = http://x\n", "line 2: 'http://x' is not a turn: URI");
	conf_bad("[Peer]\nPublicKey = x\n", "line 2: unknown section [Peer]");
	conf_bad("[Relay]\nServer = turn:x\nColour = blue\n", "line 3: unknown key 'Colour'");
	conf_bad("[Interface\n", "syntax error");
	conf_bad("[Interface]\nXdpMode = fast\n", "line 2: invalid XdpMode 'fast': expected auto, native, skb or off");
	conf_bad("", "no [Relay]");
#define R "[Relay]\nServer = turn:x\nUsername = a\nPasswordFile = /p\n"
	conf_bad(R "[Rendezvous]\nZone = wg.test\n", "needs both a zone and a DNS server");
	conf_bad(R "[Rendezvous]\nZone = wg.test\nServer = 192.0.2.53\n", "needs a TSIG key file");
	conf_bad(R "[Rendezvous]\nPublish = maybe\n", "line 6: invalid Publish 'maybe'");
	conf_bad(R "[Rendezvous]\nDirect = sometimes\n", "line 6: invalid Direct 'sometimes': expected yes or no");
	conf_bad(R "[Rendezvous]\nKey = x\n", "unknown key 'Key' in [Rendezvous]");
#undef R
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_turn_uri),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_relays),
		cmocka_unit_test(test_config_rendezvous),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
