/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "config/daemon-json.h"
#include "tap.h"
#include "util/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);

static int parse(const char *text, DaemonJson *j, unsigned *line, unsigned *col) {
        unsigned l = 0, c = 0;
        int r = daemon_json_parse(text, strlen(text), j, &l, &c);
        if (line)
                *line = l;
        if (col)
                *col = c;
        return r;
}

static void check_error(const char *text, int error, unsigned line, unsigned col, const char *what) {
        DaemonJson j = {};
        unsigned l, c;
        int r = parse(text, &j, &l, &c);

        ok_int(r, error, "%s: error", what);
        ok(l == line && c == col, "%s: at %u:%u (expected %u:%u)", what, l, c, line, col);
        if (r >= 0)
                daemon_json_done(&j);
}

static void test_errors(void) {
        check_error("{\n  \"a\": 1\n  \"b\": 2\n}\n", -EBADMSG, 3, 3, "missing comma");
        check_error("{\n  \"a\": tru\n}\n", -EBADMSG, 2, 8, "bad literal");
        check_error("{\"a\": 1,}", -EBADMSG, 1, 9, "trailing comma on one line");
        check_error("{}\n}\n", -EBADMSG, 2, 1, "trailing garbage");
        check_error("{\n  \"a\": 1,\n  \"b\": 2\n", -EBADMSG, 3, 9, "missing closing brace");
        check_error("{\"a\": [1, 2}", -EBADMSG, 1, 12, "unclosed array");
        check_error("[1, 2]\n", -EMEDIUMTYPE, 1, 1, "an array at the top level");
        check_error("  \n \"/var/lib/docker\"\n", -EMEDIUMTYPE, 2, 2, "a string at the top level");
        check_error("\xef\xbb\xbf{\"a\" 1}", -EBADMSG, 1, 6, "a byte-order mark is no column");
        check_error("\xef\xbb\xbf[]", -EMEDIUMTYPE, 1, 1, "BOM then an array");
}

static void test_parse(void) {
        DaemonJson j = {};
        _cleanup_free_ char *s = NULL;
        const char *text = "\xef\xbb\xbf{\n  \"data-root\" : \"/srv/d\\u006fcker\",\n  \"x\\\"y\": {\"a\": [1, {\"b\": \"}\"}]},\n"
                           "  \"n\": -1.5e3, \"t\": true,\n  \"data-root\": \"/last\"\n}\n";

        ok(parse(text, &j, NULL, NULL) == 0, "parse with a BOM");
        ok_int(j.body, 3, "body after the BOM");
        ok_int(j.n_members, 5, "five members");
        ok_streq(j.members[1].key, "x\"y", "escaped key decoded");
        ok(j.members[1].value_end > j.members[1].value_start &&
                   strneq(text + j.members[1].value_start, "{\"a\": [1, {\"b\": \"}\"}]}",
                          j.members[1].value_end - j.members[1].value_start),
           "span of a nested value with a brace inside a string");
        ok(strneq(text + j.members[2].value_start, "-1.5e3", j.members[2].value_end - j.members[2].value_start),
           "span of a number");
        ok(strneq(text + j.members[3].start, "\"t\": true", j.members[3].value_end - j.members[3].start),
           "span of a member from key to value");
        ok(strneq(text + j.members[0].start, "\"data-root\"", j.members[0].key_end - j.members[0].start),
           "key span");
        ok(text[j.open] == '{' && text[j.close] == '}' && j.close == strlen(text) - 2, "braces");
        ok_int(daemon_json_count(&j, "data-root"), 2, "a duplicate key is counted");
        ok(daemon_json_member(&j, "data-root") == &j.members[4], "the last duplicate is the one in effect");
        s = daemon_json_get_string(&j, "data-root");
        ok_streq(s, "/last", "get the effective string");
        ok(daemon_json_get_string(&j, "t") == NULL, "a boolean is no string");
        ok(daemon_json_get_string(&j, "missing") == NULL, "a missing key");
        daemon_json_done(&j);

        ok(parse("", &j, NULL, NULL) == 0 && j.root == NULL && j.n_members == 0, "an empty file is no settings");
        daemon_json_done(&j);
        ok(parse(" \n\t\n", &j, NULL, NULL) == 0 && j.root == NULL, "whitespace only");
        daemon_json_done(&j);
        ok(parse("\xef\xbb\xbf", &j, NULL, NULL) == 0 && j.root == NULL, "a BOM only");
        daemon_json_done(&j);
        ok(parse("{}", &j, NULL, NULL) == 0 && j.root && j.n_members == 0 && j.open == 0 && j.close == 1, "{}");
        daemon_json_done(&j);
}

/* What an edit must produce: the old object without data-root and graph,
 * plus data-root = value when value is set. */
static cJSON *expected_object(const char *old, const char *value) {
        cJSON *o = cJSON_Parse(old[0] == '\xef' ? old + 3 : old);

        if (!o)
                o = cJSON_CreateObject();
        while (cJSON_GetObjectItemCaseSensitive(o, "data-root"))
                cJSON_DeleteItemFromObjectCaseSensitive(o, "data-root");
        while (cJSON_GetObjectItemCaseSensitive(o, "graph"))
                cJSON_DeleteItemFromObjectCaseSensitive(o, "graph");
        if (value)
                cJSON_AddStringToObject(o, "data-root", value);
        return o;
}

/* Runs the edit on old, checks the result parses, keeps every other key and
 * value, and has one data-root (or none) and no graph; compares the text
 * with expect when given. */
static void check_edit(const char *what, const char *old, const char *value, const char *expect) {
        DaemonJson j = {}, n = {};
        _cleanup_free_ char *out = NULL;
        _cleanup_(cJSON_Deletep) cJSON *want = NULL, *got = NULL;
        int r;

        ok(parse(old, &j, NULL, NULL) == 0, "%s: parse the input", what);
        r = value ? daemon_json_set_data_root(&j, value, &out) : daemon_json_remove_data_root(&j, &out);
        ok(r == 0 && out, "%s: edit", what);
        if (!out) {
                daemon_json_done(&j);
                return;
        }
        if (expect)
                ok_streq(out, expect, "%s: text", what);
        ok(parse(out, &n, NULL, NULL) == 0, "%s: the result is valid JSON for us", what);
        got = cJSON_Parse(out[0] == '\xef' ? out + 3 : out);
        ok(got || !value, "%s: the result parses with cJSON", what);
        want = expected_object(old, value);
        if (!got)
                got = cJSON_CreateObject();
        ok(cJSON_Compare(want, got, true), "%s: every other key and value kept", what);
        ok_int(daemon_json_count(&n, "data-root"), value ? 1 : 0, "%s: data-root count", what);
        ok_int(daemon_json_count(&n, "graph"), 0, "%s: no graph left", what);
        if (value) {
                _cleanup_free_ char *s = daemon_json_get_string(&n, "data-root");
                ok_streq(s, value, "%s: the new value", what);
        }
        daemon_json_done(&j);
        daemon_json_done(&n);
}

static void test_set(void) {
        check_edit("insert before existing members",
                   "{\n    \"log-driver\": \"journald\",\n    \"live-restore\": true\n}\n", "/srv/docker",
                   "{\n    \"data-root\": \"/srv/docker\",\n    \"log-driver\": \"journald\",\n    \"live-restore\": true\n}\n");
        check_edit("insert keeps tab indentation", "{\n\t\"debug\": true\n}", "/x",
                   "{\n\t\"data-root\": \"/x\",\n\t\"debug\": true\n}");
        check_edit("insert on one line", "{\"debug\":true}", "/x", "{\"data-root\": \"/x\",\"debug\":true}");
        check_edit("insert into {}", "{}\n", "/x", "{\n    \"data-root\": \"/x\"\n}\n");
        check_edit("insert into { } with whitespace", "  {\n\n}  \n", "/x", "  {\n    \"data-root\": \"/x\"\n}  \n");
        check_edit("an empty file", "", "/x", "{\n    \"data-root\": \"/x\"\n}\n");
        check_edit("an empty file with a BOM", "\xef\xbb\xbf", "/x", "\xef\xbb\xbf{\n    \"data-root\": \"/x\"\n}\n");
        check_edit("replace", "{\n  \"a\": 1,\n  \"data-root\":   \"/old\",\n  \"b\": [1, 2]\n}\n", "/new",
                   "{\n  \"a\": 1,\n  \"data-root\":   \"/new\",\n  \"b\": [1, 2]\n}\n");
        check_edit("replace a non-string value", "{\"data-root\": null}", "/new", "{\"data-root\": \"/new\"}");
        check_edit("rename a lone graph", "{\n  \"graph\": \"/old\",\n  \"debug\": true\n}", "/new",
                   "{\n  \"data-root\": \"/new\",\n  \"debug\": true\n}");
        check_edit("graph removed when data-root exists",
                   "{\n  \"graph\": \"/g\",\n  \"a\": 1,\n  \"data-root\": \"/d\"\n}", "/new",
                   "{\n  \"a\": 1,\n  \"data-root\": \"/new\"\n}");
        check_edit("graph after data-root removed", "{\n  \"data-root\": \"/d\",\n  \"graph\": \"/g\"\n}", "/new",
                   "{\n  \"data-root\": \"/new\"\n}");
        check_edit("duplicate data-root: the last one stays",
                   "{\n  \"data-root\": \"/a\",\n  \"x\": 1,\n  \"data-root\": \"/b\",\n  \"y\": 2\n}", "/new",
                   "{\n  \"x\": 1,\n  \"data-root\": \"/new\",\n  \"y\": 2\n}");
        check_edit("duplicate graph", "{\"graph\": \"/a\", \"graph\": \"/b\", \"z\": {\"graph\": 1}}", "/new",
                   "{\"data-root\": \"/new\", \"z\": {\"graph\": 1}}");
        check_edit("a value that needs JSON escaping", "{}", "/a\"b\\c", NULL);
        check_edit("BOM kept", "\xef\xbb\xbf{\"a\": 1}", "/x", "\xef\xbb\xbf{\"data-root\": \"/x\",\"a\": 1}");
        check_edit("nested data-root untouched", "{\"x\": {\"data-root\": \"/n\"}}", "/top",
                   "{\"data-root\": \"/top\",\"x\": {\"data-root\": \"/n\"}}");
}

static void test_remove(void) {
        check_edit("remove the first", "{\n  \"data-root\": \"/d\",\n  \"a\": 1,\n  \"b\": 2\n}\n", NULL,
                   "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
        check_edit("remove a middle one", "{\n  \"a\": 1,\n  \"data-root\": \"/d\",\n  \"b\": 2\n}\n", NULL,
                   "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
        check_edit("remove the last", "{\n  \"a\": 1,\n  \"b\": 2,\n  \"data-root\": \"/d\"\n}\n", NULL,
                   "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
        check_edit("remove the only one", "{\n  \"data-root\": \"/d\"\n}\n", NULL, "{\n  \n}\n");
        check_edit("remove two adjacent trailing members",
                   "{\n  \"a\": 1,\n  \"data-root\": \"/d\",\n  \"graph\": \"/g\"\n}\n", NULL, "{\n  \"a\": 1\n}\n");
        check_edit("remove two adjacent leading members",
                   "{\n  \"graph\": \"/g\",\n  \"data-root\": \"/d\",\n  \"a\": 1\n}\n", NULL, "{\n  \"a\": 1\n}\n");
        check_edit("remove first and last", "{\"graph\": \"/g\", \"a\": 1, \"b\": [2], \"data-root\": \"/d\"}", NULL,
                   "{\"a\": 1, \"b\": [2]}");
        check_edit("remove both of only two", "{\"graph\": \"/g\",\"data-root\": \"/d\"}", NULL, "{}");
        check_edit("remove scattered", "{\"data-root\": 1, \"a\": 1, \"graph\": 2, \"b\": 2, \"data-root\": 3}", NULL,
                   "{\"a\": 1, \"b\": 2}");
        check_edit("remove when there is nothing to remove", "{\"a\": 1}", NULL, "{\"a\": 1}");
        check_edit("remove from an empty file", "", NULL, "");
}

int main(void) {
        test_errors();
        test_parse();
        test_set();
        test_remove();
        return tap_done();
}
