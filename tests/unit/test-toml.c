/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>

#include "config/toml.h"
#include "tap.h"
#include "util/macro.h"
#include "util/strv.h"

static int parse(const char *text, TomlDoc *d) {
        return toml_parse(text, strlen(text), d, NULL, NULL);
}

static void test_values(void) {
        const char *text =
                "\xef\xbb\xbf# containerd\n"
                "version = 2\n"
                "root = \"/srv/containerd\"   # the root\n"
                "state = '/run/c'\n"
                "\"quoted\" = 'x'\n"
                "oom_score = -9_99\n"
                "imports = [\n"
                "  \"/etc/containerd/conf.d/*.toml\", # a comment inside\n"
                "  '/etc/more.toml',\n"
                "]\n"
                "mixed = [1, \"a\"]\n"
                "when = 1979-05-27 07:32:00Z\n"
                "f = 3.5e2\n"
                "b = true\n"
                "inline = { a = 1, b = [2, 3], c = { d = \"}\" } }\n"
                "ml = \"\"\"\n"
                "[not.a.table]\n"
                "root = \"no\"\n"
                "\"\"\"\n"
                "lit = '''\n"
                "[nor.this]'''\n"
                "esc = \"a\\tb\\u00e9\\\"\"\n"
                "a.b = 1\n"
                "\n"
                "[plugins]\n"
                "  [plugins.\"io.containerd.snapshotter.v1.overlayfs\"]\n"
                "    root_path = ''\n"
                "[[proxy]]\n"
                "x = 1\n"
                "[[proxy]]\n"
                "x = 2\r\n";
        _cleanup_(toml_doc_done) TomlDoc d = {};
        const TomlKeyValue *v;

        ok_int(parse(text, &d), 0, "a file with every kind of value parses");
        ok_int(d.body, 3, "the byte-order mark is skipped");
        v = toml_get(&d, NULL, "version");
        ok(v && v->type == TOML_INTEGER && v->integer == 2, "version is the integer 2");
        v = toml_get(&d, NULL, "root");
        ok(v && v->type == TOML_STRING && v->quote == '"' && v->plain, "root: a plain basic string");
        ok_streq(v ? v->string : NULL, "/srv/containerd", "root's value");
        ok_int(v ? (long long) v->value_end : 0, (long long) (strstr(text, "\"   #") - text + 1), "root's value ends after its quote");
        v = toml_get(&d, NULL, "state");
        ok(v && v->quote == '\'' && streq(v->string, "/run/c"), "state: a literal string");
        ok(toml_get(&d, NULL, "quoted") != NULL, "a quoted key is decoded");
        v = toml_get(&d, NULL, "oom_score");
        ok(v && v->type == TOML_INTEGER && v->integer == -999, "an integer with a sign and underscores");
        v = toml_get(&d, NULL, "imports");
        ok(v && v->type == TOML_STRING_ARRAY && strv_length(v->strings) == 2, "imports: an array of two strings");
        ok_streq(v && v->strings ? v->strings[1] : NULL, "/etc/more.toml", "its second string");
        ok(v && text[v->line_end - 2] == ']', "the array's line ends after its last line");
        v = toml_get(&d, NULL, "mixed");
        ok(v && v->type == TOML_OTHER, "a mixed array is other");
        ok(toml_get(&d, NULL, "when") && toml_get(&d, NULL, "f") && toml_get(&d, NULL, "b"),
           "a date-time with a space, a float, a boolean");
        ok(toml_get(&d, NULL, "inline") != NULL, "an inline table with a nested array and table");
        ok(toml_get(&d, "not", "root") == NULL && toml_get(&d, NULL, "ml") != NULL,
           "a multi-line string holding a table header and a root line is one value");
        ok(toml_get(&d, NULL, "lit") != NULL, "a multi-line literal string");
        v = toml_get(&d, NULL, "esc");
        ok(v && !v->plain && streq(v->string, "a\tb\xc3\xa9\""), "escapes are decoded and make the string not plain");
        ok(toml_get(&d, NULL, "a") == NULL, "a dotted key is not its first part");
        ok(d.first_table == (size_t) (strstr(text, "\n[plugins]") - text + 1), "the first table header is found");
        v = NULL;
        for (size_t i = 0; i < d.n; i++)
                if (d.kv[i].table && strv_length(d.kv[i].table) == 2 && streq(d.kv[i].key[0], "root_path"))
                        v = &d.kv[i];
        ok(v && streq(v->table[1], "io.containerd.snapshotter.v1.overlayfs"), "a key under a quoted table name");
        ok(toml_get(&d, "proxy", "x") != NULL, "the same key under two [[array]] headers is no duplicate");
}

static void check_error(const char *what, const char *text, const char *reason, size_t offset) {
        TomlDoc d = {};
        const char *why = NULL;
        size_t off = 0;
        int r = toml_parse(text, strlen(text), &d, &off, &why);

        ok_int(r, -EBADMSG, "%s: not TOML", what);
        ok(why && strstr(why, reason), "%s: says why (%s)", what, strna(why));
        ok_int(off, offset, "%s: at the right byte", what);
        ok(d.n == 0 && !d.kv, "%s: nothing returned", what);
}

static void test_errors(void) {
        check_error("an unclosed string", "root = \"/srv\n", "not closed", 12);
        check_error("a bare string", "root = /srv\n", "needs quotes", 7);
        check_error("a duplicate key", "root = 'a'\nroot = 'b'\n", "twice", 11);
        check_error("text after a value", "root = 'a' 'b'\n", "after a value", 11);
        check_error("a missing '='", "root 'a'\n", "'='", 5);
        check_error("a bad escape", "root = \"\\q\"\n", "escape", 8);
        check_error("an unclosed table header", "[plugins\n", "not closed", 8);
        check_error("an unclosed array", "imports = ['a' 'b']\n", "neither", 15);
        check_error("an unclosed multi-line string", "x = '''\nabc\n", "multi-line", 4);
        check_error("a missing value", "root =\n", "missing", 6);
}

static void check_set(const char *what, const char *text, const char *key, const char *value, const char *after,
                      const char *expected) {
        _cleanup_(toml_doc_done) TomlDoc d = {};
        _cleanup_free_ char *out = NULL;

        if (parse(text, &d) < 0) {
                ok(false, "%s: parses", what);
                return;
        }
        ok_int(toml_set_top_string(text, &d, key, value, after, &out), 0, "%s: set", what);
        ok_streq(out, expected, "%s: every other byte kept", what);
}

static void test_set(void) {
        check_set("double quotes kept", "# c\nversion = 2\nroot = \"/var/lib/containerd\" # here\n[x]\na = 1\n", "root",
                  "/mnt/c", NULL, "# c\nversion = 2\nroot = \"/mnt/c\" # here\n[x]\na = 1\n");
        check_set("single quotes kept", "version = 3\nroot = '/var/lib/containerd'\r\n", "root", "/mnt/c", NULL,
                  "version = 3\nroot = '/mnt/c'\r\n");
        check_set("added after version", "# head\nversion = 2\n\n[grpc]\n  address = 'x'\n", "root", "/mnt/c",
                  "version", "# head\nversion = 2\nroot = \"/mnt/c\"\n\n[grpc]\n  address = 'x'\n");
        check_set("added before the first pair", "# head\nstate = '/run/c'\n", "root", "/mnt/c", "version",
                  "# head\nroot = \"/mnt/c\"\nstate = '/run/c'\n");
        check_set("added before the first table", "# only tables\n[grpc]\n", "root", "/mnt/c", "version",
                  "# only tables\nroot = \"/mnt/c\"\n[grpc]\n");
        check_set("a last line without newline", "version = 2", "root", "/mnt/c", "version",
                  "version = 2\nroot = \"/mnt/c\"\n");
        check_set("an empty file", "", "root", "/mnt/c", "version", "root = \"/mnt/c\"\n");
        check_set("a table's root is not the top level's", "[plugins.x]\nroot = '/a'\n", "root", "/mnt/c", NULL,
                  "root = \"/mnt/c\"\n[plugins.x]\nroot = '/a'\n");

        _cleanup_(toml_doc_done) TomlDoc d = {};
        _cleanup_free_ char *out = NULL;
        const char *text = "root = \"/srv/\\u0063\"\n";
        ok_int(parse(text, &d), 0, "an escaped root parses");
        ok_int(toml_set_top_string(text, &d, "root", "/mnt/c", NULL, &out), -EINVAL, "an escaped value is not edited");
        ok_int(toml_set_top_string(text, &d, "other", "/it's", NULL, &out), -EINVAL, "a value that needs quoting is refused");
        ok(!out, "nothing returned");
        ok(toml_string_is_plain("/mnt/docker-data/containerd") && !toml_string_is_plain("a\"b") &&
                   !toml_string_is_plain("a\\b") && !toml_string_is_plain("a\nb"),
           "plain strings");
}

int main(void) {
        test_values();
        test_errors();
        test_set();
        return tap_done();
}
