/*
 * harness_value - typed JSON values for unit tests
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness_value.h"
#include "mmfix/repr.h"
#include "mmfix/strbuf.h"
#include "mmfix/tjson.h"

/* harness_value - wrap json as the config "v" of a document and read it */
struct value *harness_value(struct value_arena *arena, const char *json)
{
    struct strbuf sb = STRBUF_INIT;
    struct value *root = NULL;
    enum load_error kind;
    const char *err = NULL;

    strbuf_addf(&sb, "{\"format\": \"mmfix-typed-json/1\", \"list\": \"t\", \"charset\": "
                "\"us-ascii\", \"config\": {\"v\": %s}}", json);
    if (tjson_read(sb.buf, sb.len, NULL, arena, &root, NULL, NULL, &kind, &err) != 0) {
        strbuf_release(&sb);
        fail_msg("bad test JSON: %s: %s", err, json);
    }
    strbuf_release(&sb);
    return value_dict_get_str(arena, root, "v");
}

/* harness_expect_value - compare with value_equal */
void harness_expect_value(struct value_arena *arena, const struct value *got,
                          const char *want)
{
    struct value *w = harness_value(arena, want);

    if (!value_equal(got, w)) {
        struct strbuf g = STRBUF_INIT;
        struct strbuf x = STRBUF_INIT;
        repr_value(&g, got);
        repr_value(&x, w);
        print_error("got  %s\nwant %s\n", strbuf_cstr(&g), strbuf_cstr(&x));
        strbuf_release(&g);
        strbuf_release(&x);
        fail();
    }
}
