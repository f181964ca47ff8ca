// SPDX-License-Identifier: GPL-2.0
/* TURN REST API credentials (turn/rest_cred.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "turn/rest_cred.h"

/* Expected values computed independently, with Python's hmac and
 * base64 modules: base64(hmac.new(secret, username, sha1).digest()). */
static void test_make(void **state)
{
	char user[64], pass[64];

	assert_int_equal(rest_cred_make("north-wind", "site-a", 1700000000,
					user, sizeof(user), pass,
					sizeof(pass)), 0);
	assert_string_equal(user, "1700000000:site-a");
	assert_string_equal(pass, "PGBWcZAaF0uY6xgt5C0VEkCZ5R4=");
	assert_int_equal(rest_cred_expiry(user), 1700000000);
}

/* The password follows the username: a renewed expiry, another one. */
static void test_password_of_username(void **state)
{
	char a[64], b[64];

	assert_int_equal(rest_cred_password("north-wind", "1700000000:site-a",
					    a, sizeof(a)), 0);
	assert_string_equal(a, "PGBWcZAaF0uY6xgt5C0VEkCZ5R4=");
	assert_int_equal(rest_cred_password("north-wind", "1700086400:site-a",
					    b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(rest_cred_password("other", "1700000000:site-a",
					    b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
}

static void test_limits(void **state)
{
	char user[12], pass[28];

	/* "1700000000:site-a" does not fit in 12 */
	assert_int_equal(rest_cred_make("s", "site-a", 1700000000, user,
					sizeof(user), pass, 64), -1);
	/* 28 base64 characters need 29 bytes */
	assert_int_equal(rest_cred_password("s", "u", pass, sizeof(pass)), -1);
	assert_int_equal(rest_cred_expiry("site-a"), 0);
	assert_int_equal(rest_cred_expiry(":x"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make),
		cmocka_unit_test(test_password_of_username),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
