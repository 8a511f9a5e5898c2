/*
 * main - mmfix: upgrade, repair and re-host GNU Mailman 2.x list data
 *
 * DESCRIPTION
 *  git-style dispatch: `mmfix COMMAND [OPTIONS] [ARGS]`. Every command is
 *  one cmd_<name>() whose return value is the exit status (SPEC §8).
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "mmfix/pyload.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "scan", cmd_scan, "inventory of every list, with the problems found" },
    { "show", cmd_show, "the decoded configuration of one list" },
    { "check", cmd_check, "which of a list's four files load, and which Mailman uses" },
    { "convert", cmd_convert, "convert between config.db, config.pck and typed JSON" },
    { "repair", cmd_repair, "recover a list from its fallback and fix its rosters" },
    { "update", cmd_update, "upgrade old list configurations the way Mailman 2.1.39 does" },
    { "fix-url", cmd_fix_url, "move lists to another web/mail host as fix_url.py does" },
    { "genaliases", cmd_genaliases, "write Mailman's Postfix alias files and rebuild the maps" },
    { "check-postfix", cmd_check_postfix, "find Postfix settings that would lose list mail" },
    { "migrate", cmd_migrate, "update + fix-url + genaliases as one run and one report" },
    { "rename", cmd_rename, "rename a list everywhere Mailman keys it by name" },
    { "export-mm3", cmd_export_mm3, "hand lists to Mailman 3's import21 with nothing lost" },
    { "history", cmd_history, "the journal of runs that changed the installation" },
    { "rollback", cmd_rollback, "restore the files a run changed" },
    { NULL, NULL, NULL },
};

static void usage(FILE *fp)
{
    const struct command *c = NULL;

    fprintf(fp, "usage: mmfix COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
    for (c = commands; c->name != NULL; c++) {
        fprintf(fp, "  %-13s %s\n", c->name, c->summary);
    }
    fprintf(fp, "\ncommon options: -d/--var-prefix DIR, --install-dir DIR, --json, -q, -v\n"
                "`mmfix COMMAND --help` for more.\n");
}

/* keep_std_fds - make sure 0, 1, 2 are open so no file we open becomes one */
static void keep_std_fds(void)
{
    int fd;

    while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2) {
        /* keep it */
    }
    if (fd > 2) {
        close(fd);
    }
}

int main(int argc, char **argv)
{
    const struct command *c = NULL;
    int rc = EXIT_USAGE;

    keep_std_fds();
    umask(022);
    /* Each list's value tree is one arena, freed before the next list is
     * read. glibc would hand that memory back to the kernel and fault it
     * in again for every list; on a scan of thousands of lists that costs
     * more than the unpickling. Keep it. */
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mmfix %s\n", MMFIX_VERSION);
        return EXIT_OK;
    }
    for (c = commands; c->name != NULL; c++) {
        if (strcmp(c->name, argv[1]) == 0) {
            break;
        }
    }
    if (c->name == NULL) {
        cmd_error(NULL, "unknown command '%s'", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    rc = c->run(argc - 1, argv + 1);
    fflush(stdout);
    pyload_deinit();
    return rc;
}
