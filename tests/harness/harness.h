#ifndef MMFIX_TEST_HARNESS_H
#define MMFIX_TEST_HARNESS_H

/*
 * What the unit tests share: temporary trees and small file helpers.
 * Helpers that check things fail the running cmocka test.
 */

#include <stdbool.h>
#include <stddef.h>

/* harness_tmpdir - mkdtemp("/tmp/mmfix-test-<tag>-XXXXXX"), malloc'd */
char *harness_tmpdir(const char *tag);
/* harness_rmtree - remove a tree without following symlinks (0 on success) */
int harness_rmtree(const char *path);
/* harness_write_text - create or truncate path with text */
void harness_write_text(const char *path, const char *text);
/* harness_read_text - content of path into buf; false ("" in buf) if missing */
bool harness_read_text(const char *path, char *buf, size_t size);
/* harness_exists - lstat succeeds */
bool harness_exists(const char *path);
/* harness_count_entries - entries of dir other than . and .. */
int harness_count_entries(const char *dir);

#endif
