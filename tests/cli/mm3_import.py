"""Run Mailman 3's own `create` and `import21` commands for several lists in
one process (test tooling for test_export_mm3; run by Mailman 3's Python).

    mm3_import.py MAILMAN_CFG [--charset CS] FQDN=PICKLE ...

Each `mailman` command costs a second or two to start (configuration,
database, plugins); this starts once and then calls the same click commands
`mailman create` and `mailman import21` call, each inside the transaction
`mailman`'s Subcommands.invoke opens (mailman/bin/mailman.py), so what lands
in the database is what the command line gives.
"""
import sys


def main(argv):
    cfg = argv[1]
    rest = argv[2:]
    charset = []
    if rest[:1] == ["--charset"]:
        charset = ["--charset", rest[1]]
        rest = rest[2:]
    from mailman.core.initialize import initialize
    initialize(cfg)
    from mailman.commands.cli_import import import21
    from mailman.commands.cli_lists import create
    from mailman.database.transaction import transaction
    rc = 0
    for pair in rest:
        fqdn, path = pair.split("=", 1)
        for cmd, args in ((create, ["--quiet", fqdn]), (import21, charset + [fqdn, path])):
            try:
                with transaction():
                    cmd.main(args, prog_name=cmd.name, standalone_mode=False)
            except SystemExit as e:
                if e.code:
                    print("%s %s: exit %s" % (cmd.name, fqdn, e.code), file=sys.stderr)
                    rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
