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

/* harness_snapshot - a text picture of the tree under top (not followed through
 * symbolic links): one sorted line per entry with its relative path, type,
 * permission bits and, for a file, its size and a hash of its bytes, for a
 * link its target; malloc'd. Two equal snapshots mean the same tree. */
char *harness_snapshot(const char *top);
/* harness_readlink - a symbolic link's target (malloc'd), NULL if path is none */
char *harness_readlink(const char *path);
struct problem_list;
/* harness_count_problems - items of pl with code whose message holds text
 * (any message when text is NULL) */
size_t harness_count_problems(const struct problem_list *pl, const char *code,
                              const char *text);
/* A test installation: its top directory, what install_open made of it
 * and its journal (either may be NULL) */
struct harness_site {
    char *top;
    struct install *ins;
    struct journal *j;
};
/* harness_site_teardown - cmocka teardown of a struct harness_site *state:
 * journal closed, install freed, the tree removed */
int harness_site_teardown(void **state);
/* harness_copy_tree - cp -a from to (to must not exist) */
void harness_copy_tree(const char *from, const char *to);

#endif
