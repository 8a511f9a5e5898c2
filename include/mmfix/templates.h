#ifndef MMFIX_TEMPLATES_H
#define MMFIX_TEMPLATES_H

/*
 * The template part of the 2.0 -> 2.1 upgrade (SPEC §5), as a step: it
 * reads the installation and adds file operations and notes to a plan;
 * it never writes.
 *
 * Where templates live. Mailman 2.0 reads a list's own templates from
 * lists/<list>/ (*.html; before 2.0b4: templates/<list>/) and its global ones
 * from the flat templates/ (*.html, *.txt). Mailman 2.1 looks in
 * lists/<list>/<lang>/, templates/<host>/<lang>/, templates/site/<lang>/,
 * templates/<lang>/ (Utils.findtext) and never again in lists/<list>/ or
 * the flat templates/. Its bin/update deletes the copies that equal the
 * flat 2.0 template and leaves the customised ones where 2.1 no longer
 * looks; mmfix moves them to lists/<list>/<lang>/ so 2.1 keeps using them.
 *
 * A list's template (lists/<list>/F, F ending in .html or .txt, a regular
 * file) is
 *  - the same as a global one, and removed (Mailman removes it too), when
 *    its bytes equal one of: the flat 2.0 templates/F, templates/<lang>/F,
 *    templates/en/F, or, for a list named like a global template directory,
 *    templates/<list>/F;
 *  - else customised, and moved to lists/<list>/<lang>/F (the directory is
 *    made with mode 02775 and the group of lists/<list>/, as Mailman makes
 *    list directories). When lists/<list>/<lang>/F already exists, an
 *    identical F is removed and a different one left where it is.
 * Without any global template to compare with, a file counts as customised
 * (moving it loses nothing: 2.1 shows what 2.0 showed). lists/<list>/F.prev
 * and lists/<list>/en/F that equal a global template are removed, as
 * Mailman's move_language_templates removes them; other .prev files stay.
 * <lang> is the list's preferred_language, else the site's
 * DEFAULT_SERVER_LANGUAGE, else en.
 *
 * Pre-2.0b4 templates/<list>/ is a list's own only when <list> is not a
 * global template directory (install_list_collisions(): a language code
 * of LC_DESCRIPTIONS, a directory of messages/, en, site, a virtual host).
 * Its files are handled like lists/<list>/F (a file also in lists/<list>/
 * is left alone, as Mailman leaves it), and the directory is removed once
 * empty. That needs templates/ inside the var prefix (a source install);
 * elsewhere the notes give the command.
 *
 * Damage by an older bin/update. Before 2.1.11 bin/update took the global
 * templates/<L>/ of a list named L (cs, de, en, ...) for pre-2.0b4 list
 * templates and renamed each file into lists/<L>/ unless a file of that
 * name was already there. A file lists/<L>/F is therefore a STRAY GLOBAL
 * TEMPLATE when all of these hold:
 *  1. L is a global template directory (as above);
 *  2. F is a regular file (not a link) directly in lists/<L>/;
 *  3. F is a global template name: in the install's templates/en/ or in
 *     Mailman 2.1.39's English set (TEMPLATES_ENGLISH_NAMES);
 *  4. templates/<L>/F does not exist: where the list had its own F, the
 *     rename was skipped and the global F is still in templates/<L>/, so
 *     an F in lists/<L>/ beside a templates/<L>/F is the list's own;
 *  5. F is not byte-identical to the flat 2.0 templates/F (that is the
 *     2.0 list's stock copy).
 * The installation is DAMAGED for L when templates/<L>/ is a directory (or
 * the templates are not known) and at least TEMPLATES_DAMAGE_MIN_TXT of the
 * stray files are .txt: Mailman 2.0 kept only HTML templates in a list's
 * directory, while every 2.1 language has twenty or more .txt templates.
 * Stray files are moved back into templates/<L>/ when templates/ is inside
 * the var prefix; else the problem 'templates-damaged' gives the exact
 * command. They are never taken for the list's customisations, and the
 * list's own files (those failing 3, 4 or 5) are never moved out of
 * lists/<L>/ into templates/<L>/.
 *
 * The flat 2.0 global templates (templates/ *.html and *.txt, and their .prev):
 * 2.1 never reads them and bin/update deletes them. mmfix keeps them by
 * default (a note says so, with the command that removes them): they are
 * the reference that tells a list's stock copy from a customised one, for
 * every 2.0 list still to be upgraded. templates_plan_site(remove_flat)
 * plans their removal when templates/ is inside the var prefix.
 *
 * Notes (plan notes) name each file and what happened to it and why; codes
 * template-moved, template-removed, template-kept, templates-restored,
 * templates-old-global. Problems that need a person: templates-damaged,
 * template-blocked.
 */

#include <stdbool.h>
#include <stddef.h>

#include "mmfix/plan.h"

struct install;
struct site_settings;
struct value;

/* stray .txt files that make lists/<L>/ a damaged installation */
#define TEMPLATES_DAMAGE_MIN_TXT 3

/* Mailman 2.1.39's templates/en/ file names, NULL-terminated */
extern const char *const TEMPLATES_ENGLISH_NAMES[];

struct templates_damage {
    bool damaged;
    char **stray;          /* names of the stray global templates in lists/<L>/, sorted */
    size_t n_stray;
    size_t n_txt;          /* how many of them end in .txt */
    char *dest_rel;        /* "templates/<L>" relative to the var prefix; NULL when outside */
    char *dest_abs;        /* absolute templates/<L>, NULL when unknown */
    char *command;         /* the shell command that moves them back; NULL with dest_rel */
};

/* templates_damage_find - whether lists/<name>/ holds the global templates
 * of templates/<name>/ (the rule above). A name that is no global template
 * directory is never damaged. site and install->templates_dir may be NULL.
 * Free with templates_damage_free. */
int templates_damage_find(const struct install *install, const struct site_settings *site,
                          const char *name, struct templates_damage *d, const char **error_r);
void templates_damage_free(struct templates_damage *d);

/* templates_plan_restore - put the stray global templates of a damaged
 * lists/<name>/ back into templates/<name>/ (moves), or, when templates/ is
 * outside the var prefix, add the problem 'templates-damaged' with the
 * command. Nothing when not damaged. list: index for the ops (PLAN_NO_LIST
 * allowed). */
int templates_plan_restore(const struct install *install, const struct site_settings *site,
                           const char *name, size_t list, struct plan *p,
                           const char **error_r);

/* templates_plan_list - the 2.0 -> 2.1 template layout of list `name`:
 * templates_plan_restore, then the list's own templates (lists/<name>/ and
 * a pre-2.0b4 templates/<name>/) removed or moved into lists/<name>/<lang>/.
 * lang NULL: the site's DEFAULT_SERVER_LANGUAGE, else en. Returns -1 only
 * when the list's directory cannot be read. */
int templates_plan_list(const struct install *install, const struct site_settings *site,
                        const char *name, const char *lang, size_t list, struct plan *p,
                        const char **error_r);

/* templates_plan_site - the flat 2.0 global templates: kept with a note, or
 * (remove_flat) removed as Mailman's bin/update removes them */
int templates_plan_site(const struct install *install, const struct site_settings *site,
                        bool remove_flat, struct plan *p, const char **error_r);

/* templates_list_language - the preferred_language of a config dict when it
 * is a usable directory name, else NULL (then the site default applies) */
const char *templates_list_language(struct value *config);

#endif
