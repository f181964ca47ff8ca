/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a test set up, released after it by t_cleanup (a cmocka teardown)
 * even when a failed assertion ended the test early. Track only objects
 * that outlive the test function (static or heap) and whose release is
 * idempotent or not also done by the test.
 */
#ifndef WGT_TEST_CLEANUP_H
#define WGT_TEST_CLEANUP_H

void t_track(void *p, void (*release)(void *p));
int t_cleanup(void **state);

#endif
