#ifndef MMFIX_REPORT_H
#define MMFIX_REPORT_H

#include <stdbool.h>

#include "mmfix/plan.h"
#include "mmfix/strbuf.h"

/*
 * The report of a plan (SPEC §8): for each list a unified-diff-style block
 * (--- lists/L/config.pck / +++ lists/L/config.pck (after)) with one line
 * per changed attribute or member as `name = <python repr>`, multi-line
 * text as a line diff; then the file operations, notes, problems and a
 * one-line summary. JSON: {"changes", "files", "problems", "notes",
 * "summary"}.
 */

/* report_text - the text report; applied says whether it was carried out */
void report_text(struct strbuf *out, const struct plan *p, bool applied);
/* report_seal_list - render list's part of the report (text, or JSON when json) into the
 * list, so that plan_freeze_list can free its trees; the report then prints what was
 * rendered (a run renders one kind of report) */
void report_seal_list(struct plan *p, size_t list, bool json);
/* report_colorize - colour a text report for a terminal (ANSI: headers bold, hunks cyan,
 * removed lines red, added green); the caller decides (a terminal, no NO_COLOR) */
void report_colorize(struct strbuf *text);
/* report_json - the JSON plan */
void report_json(struct strbuf *out, const struct plan *p, bool applied);

#endif
