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

/* harness_copy_tree - copy the tree `from` (read-only corpus or fixture) to
 * `to` (created): directories 0755 and files 0644 so the copy can be changed,
 * symbolic links copied as links (never followed) */
void harness_copy_tree(const char *from, const char *to);
/* harness_tree_state - every entry under dir as sorted lines "path kind mode
 * size checksum" (links: their target), malloc'd: two states are equal when
 * the trees hold the same names, kinds, modes and bytes */
char *harness_tree_state(const char *dir);
/* harness_same_bytes - a and b are regular files with the same bytes */
bool harness_same_bytes(const char *a, const char *b);
/* harness_read_file - the whole regular file, malloc'd (NUL after *len_r
 * bytes), NULL if it cannot be read */
char *harness_read_file(const char *path, size_t *len_r);
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
/* harness_python_teardown - cmocka group teardown: stop the embedded interpreter, so that
 * LeakSanitizer sees only real leaks */
int harness_python_teardown(void **state);

#endif
