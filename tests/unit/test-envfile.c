/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "config/envfile.h"
#include "tap.h"
#include "util/macro.h"
#include "util/strv.h"

typedef struct Parsed {
        SourceSet s;
        Env e;
        char **problems;
        uint32_t id;
} Parsed;

static void parse(Parsed *p, const char *path, const char *content, EnvSyntax syntax) {
        uint32_t id;

        if (source_set_add(&p->s, path, content, &id) < 0)
                abort();
        p->id = id;
        ok(env_parse(&p->e, &p->s, id, syntax, &p->problems) == 0, "parse %s", path);
}

static void parsed_done(Parsed *p) {
        env_done(&p->e);
        source_set_done(&p->s);
        strv_free(p->problems);
        *p = (Parsed){};
}

static const char *val(const Parsed *p, const char *name) {
        const EnvVar *v = env_get(&p->e, name);
        return v ? v->value.s : NULL;
}

static bool problems_mention(const Parsed *p, const char *what) {
        STRV_FOREACH(m, p->problems)
                if (strstr(*m, what))
                        return true;
        return false;
}

/* Every character of the value that has a source is the byte it names. */
static bool origins_match(const Parsed *p, const char *name) {
        const EnvVar *v = env_get(&p->e, name);

        if (!v)
                return false;
        for (size_t i = 0; i < v->value.len; i++) {
                uint32_t src = v->value.src[i];
                if (src == TEXT_NO_SOURCE)
                        continue;
                if (src >= p->s.n || v->value.off[i] >= p->s.files[src].size ||
                    p->s.files[src].content[v->value.off[i]] != v->value.s[i])
                        return false;
        }
        return true;
}

/* The offset in the file of character i of the value of name. */
static long long off_of(const Parsed *p, const char *name, size_t i) {
        const EnvVar *v = env_get(&p->e, name);
        return v && i < v->value.len ? (long long) v->value.off[i] : -1;
}

static long long pos_in(const Parsed *p, uint32_t id, const char *needle) {
        const char *c = strstr(p->s.files[id].content, needle);
        return c ? c - p->s.files[id].content : -2;
}

static void test_systemd(void) {
        Parsed p = {};
        const char *content =
                "# a comment = not an assignment\n"
                "; another comment\n"
                "   # indented comment\n"
                "PLAIN=plain value   \n"
                "SQ='single $quoted \"x\" \\n'\n"
                "DQ=\"double \\\"esc\\\" \\$x \\\\ \\n\"\n"
                "ESC=unquoted\\ escaped\n"
                "CONT=line one \\\n"
                "line two\n"
                "  SPACED  =  spaced  \n"
                "1BAD=x\n"
                "BAD-NAME=y\n"
                "not an assignment\n"
                "LATER=first\n"
                "LATER=second\n"
                "DQCONT=\"a\\\n"
                "b\"\n"
                "EMPTY=\n"
                "QSPACE=\"x  \"\n"
                "ESCSPACE=x\\ \n"
                "MULTI=\"one\n"
                "two\"\n"
                "MID=--data-root=\"/x\"\n"
                "ADJ=\"a\"  'b'\n"
                "LAST=no newline at the end";

        parse(&p, "/etc/sysconfig/docker", content, ENV_SYNTAX_SYSTEMD);
        ok_streq(val(&p, "PLAIN"), "plain value", "unquoted value, trailing whitespace dropped");
        ok_streq(val(&p, "SQ"), "single $quoted \"x\" \\n", "single quotes are literal");
        ok_streq(val(&p, "DQ"), "double \"esc\" $x \\ \\n", "double quotes: \\\" \\$ \\\\ unescaped, \\n kept");
        ok_streq(val(&p, "ESC"), "unquoted escaped", "unquoted backslash escapes the next character");
        ok_streq(val(&p, "CONT"), "line one line two", "backslash-newline continues the line");
        ok_streq(val(&p, "SPACED"), "spaced", "whitespace around key and value");
        ok(env_get(&p.e, "1BAD") == NULL, "a name starting with a digit is ignored");
        ok(env_get(&p.e, "BAD-NAME") == NULL, "a name with a dash is ignored");
        ok(problems_mention(&p, "invalid variable name"), "an invalid name is reported");
        ok(problems_mention(&p, "not an assignment"), "a line without = is reported");
        ok(env_get(&p.e, "a") == NULL && env_get(&p.e, "another") == NULL, "comments set nothing");
        ok_streq(val(&p, "LATER"), "second", "the later assignment wins");
        ok_streq(val(&p, "DQCONT"), "ab", "backslash-newline inside double quotes is removed");
        ok_streq(val(&p, "EMPTY"), "", "an empty value");
        ok_streq(val(&p, "QSPACE"), "x  ", "whitespace inside quotes is kept");
        ok_streq(val(&p, "ESCSPACE"), "x ", "an escaped trailing space is kept");
        ok_streq(val(&p, "MULTI"), "one\ntwo", "a quoted value spans lines");
        ok(env_get(&p.e, "two") == NULL, "the second line of a quoted value is no assignment");
        ok_streq(val(&p, "MID"), "--data-root=\"/x\"", "quotes after the start of a value are literal");
        ok_streq(val(&p, "ADJ"), "ab", "quoted parts after a closing quote are joined");
        ok_streq(val(&p, "LAST"), "no newline at the end", "last line without newline");
        /* Some systemd versions drop a variable whose value holds a
         * newline: the file is not edited, and says where. */
        ok(p.s.files[p.id].unsafe && strstr(p.s.files[p.id].unsafe, "/etc/sysconfig/docker:21:11: ") &&
                   strstr(p.s.files[p.id].unsafe, "newline"),
           "a newline inside a quoted value makes the file unsafe, at its position: %s",
           strna(p.s.files[p.id].unsafe));

        /* Origins. */
        const char *names[] = { "PLAIN", "SQ", "DQ", "ESC", "CONT", "SPACED", "LATER", "DQCONT", "MULTI", "MID", "LAST" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                ok(origins_match(&p, names[i]), "every character of %s points at its byte", names[i]);
        ok_int(off_of(&p, "PLAIN", 0), pos_in(&p, p.id, "plain value"), "offset of the first value byte");
        ok_int(off_of(&p, "DQ", 7), pos_in(&p, p.id, "\\\"esc") + 1, "an escaped quote points at the quote");
        ok_int(off_of(&p, "LATER", 0), pos_in(&p, p.id, "second"), "offsets come from the winning line");
        ok_int(off_of(&p, "CONT", 9), pos_in(&p, p.id, "line two"), "after a continuation, the next line's bytes");
        const EnvVar *v = env_get(&p.e, "LATER");
        ok(v && v->src == p.id, "source id");
        ok(v && v->line == 15, "line of the winning assignment (%u)", v ? v->line : 0);
        parsed_done(&p);

        parse(&p, "/etc/default/docker", "A=1\nB=\"unterminated\n", ENV_SYNTAX_SYSTEMD);
        ok_streq(val(&p, "A"), "1", "assignment before an unterminated quote");
        ok(p.s.files[p.id].unsafe != NULL, "an unterminated quote makes the file unsafe to edit");
        ok(problems_mention(&p, "unterminated"), "and is reported");
        parsed_done(&p);

        parse(&p, "/etc/default/docker", "", ENV_SYNTAX_SYSTEMD);
        ok(p.e.n == 0 && strv_length(p.problems) == 0, "empty file");
        parsed_done(&p);

        parse(&p, "/etc/default/docker", "\n\n  \n# only\n", ENV_SYNTAX_SYSTEMD);
        ok(p.e.n == 0 && strv_length(p.problems) == 0, "blank lines and comments only");
        parsed_done(&p);
}

static void test_shell(void) {
        Parsed p = {};
        const char *content =
                "# /etc/default/docker\n"
                "export DOCKER_OPTS=\"--data-root /srv/docker\"\n"
                "BASE=/srv\n"
                "ROOT=$BASE/docker\n"
                "ROOT2=\"${BASE}/d2\"\n"
                "OPTS=\"-g $ROOT --debug\"\n"
                "SQ='$BASE'\n"
                "UNSET=a${NOPE}b\n"
                "export NAME\n"
                "A=1; B=2 # comment\n"
                "LATER=x\n"
                "LATER=y\n"
                "ESC=a\\ b\n"
                "exportX=1\n";

        parse(&p, "/etc/default/docker", content, ENV_SYNTAX_SHELL);
        ok(strv_length(p.problems) == 0, "no problems in plain assignments (%zu)", strv_length(p.problems));
        ok(p.s.files[p.id].unsafe == NULL, "safe to edit");
        ok_streq(val(&p, "DOCKER_OPTS"), "--data-root /srv/docker", "export NAME=value");
        ok_streq(val(&p, "ROOT"), "/srv/docker", "$VAR expands");
        ok_streq(val(&p, "ROOT2"), "/srv/d2", "${VAR} expands inside double quotes");
        ok_streq(val(&p, "OPTS"), "-g /srv/docker --debug", "nested expansion");
        ok_streq(val(&p, "SQ"), "$BASE", "no expansion in single quotes");
        ok_streq(val(&p, "UNSET"), "ab", "an unset variable expands to nothing");
        ok(env_get(&p.e, "NAME") == NULL, "export NAME alone sets nothing");
        ok_streq(val(&p, "A"), "1", "first of two statements on a line");
        ok_streq(val(&p, "B"), "2", "second statement, comment after it");
        ok_streq(val(&p, "LATER"), "y", "later assignment wins");
        ok_streq(val(&p, "ESC"), "a b", "backslash escape");
        ok_streq(val(&p, "exportX"), "1", "a name that starts with export");

        /* The /srv of ROOT was written by the BASE line. */
        long long base = pos_in(&p, p.id, "/srv\n");
        ok_int(off_of(&p, "ROOT", 0), base, "expanded characters point at the earlier assignment");
        ok_int(off_of(&p, "ROOT", 3), base + 3, "... each of them");
        ok_int(off_of(&p, "ROOT", 4), pos_in(&p, p.id, "/docker\nROOT2"), "the literal rest points at its own bytes");
        ok_int(off_of(&p, "OPTS", 3), base, "twice-expanded characters still point at the first assignment");
        const char *names[] = { "DOCKER_OPTS", "ROOT", "ROOT2", "OPTS", "SQ", "UNSET", "ESC" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                ok(origins_match(&p, names[i]), "every character of %s points at its byte", names[i]);

        /* A second file sees the first one's variables; expanded bytes keep
         * the first file as source. */
        uint32_t first = p.id;
        parse(&p, "/etc/sysconfig/docker-storage", "STORAGE=\"--data-root=$BASE/x\"\n", ENV_SYNTAX_SHELL);
        const EnvVar *v = env_get(&p.e, "STORAGE");
        ok_streq(v ? v->value.s : NULL, "--data-root=/srv/x", "expansion across files");
        ok(v && v->value.src[12] == first && v->value.src[0] == p.id && v->value.src[16] == p.id,
           "expanded characters carry the earlier file's id");
        ok(v && v->src == p.id, "the variable's source is the file that assigned it");
        ok(origins_match(&p, "STORAGE"), "origins across files");
        parsed_done(&p);

        static const struct {
                const char *content, *why, *unset;
        } unsafe[] = {
                { "X=$(cat /etc/foo)\n", "command substitution", "X" },
                { "X=\"a$(cat /etc/foo)\"\n", "command substitution in quotes", "X" },
                { "X=`hostname`\n", "backticks", "X" },
                { "X=\"`hostname`\"\n", "backticks in quotes", "X" },
                { "X=${Y:-/var/lib/docker}\n", "parameter operator", "X" },
                { "if [ -f /etc/x ]; then\n  X=1\nfi\n", "if", NULL },
                { "X=1 cmd\n", "assignment followed by a command", "X" },
                { "X=1 && cmd\n", "assignment followed by &&", "X" },
                { ". /etc/other\n", "sourcing another file", NULL },
                { "X=(a b)\n", "an array", "X" },
                { "X='unterminated\n", "unterminated quote", "X" },
        };
        for (size_t i = 0; i < ELEMENTSOF(unsafe); i++) {
                _cleanup_free_ char *c = NULL;
                if (asprintf(&c, "SAFE=1\n%sAFTER=2\n", unsafe[i].content) < 0)
                        abort();
                parse(&p, "/etc/default/docker", c, ENV_SYNTAX_SHELL);
                ok(p.s.files[p.id].unsafe != NULL, "%s: the file is unsafe", unsafe[i].why);
                ok(strv_length(p.problems) >= 1, "%s: reported", unsafe[i].why);
                ok(!unsafe[i].unset || !env_get(&p.e, unsafe[i].unset), "%s: not evaluated", unsafe[i].why);
                ok_streq(val(&p, "SAFE"), "1", "%s: assignments before it still count", unsafe[i].why);
                parsed_done(&p);
        }

        parse(&p, "/etc/default/docker", "X=1 cmd\n", ENV_SYNTAX_SHELL);
        ok(p.problems && strstr(p.problems[0], "/etc/default/docker:1:"), "problem names file and line");
        ok(p.s.files[p.id].unsafe && strstr(p.s.files[p.id].unsafe, "/etc/default/docker:1:1"),
           "unsafe reason names file, line and column");
        parsed_done(&p);
}

static void test_assignments(void) {
        Env e = {};
        Text t = {};
        _cleanup_strv_free_ char **problems = NULL;
        const char *line = "A=1 \"B=two words\" 'C=$x' D=\"q\" bad";

        for (size_t i = 0; line[i]; i++)
                text_append(&t, line[i], 7, 100 + i);
        ok(env_parse_assignments(&e, &t, 7, 3, &problems) == 0, "Environment= parse");
        const EnvVar *a = env_get(&e, "A"), *b = env_get(&e, "B"), *c = env_get(&e, "C"), *d = env_get(&e, "D");
        ok_streq(a ? a->value.s : NULL, "1", "A");
        ok_streq(b ? b->value.s : NULL, "two words", "a quoted assignment keeps its spaces");
        ok_streq(c ? c->value.s : NULL, "$x", "single quotes");
        ok_streq(d ? d->value.s : NULL, "q", "quotes inside a word");
        ok(strv_length(problems) == 1 && strstr(problems[0], "'bad'"), "a word without = is reported");
        ok(a && a->src == 7 && a->line == 3 && a->value.off[0] == 102, "origin of an Environment= value");
        ok(b && b->value.off[0] == 107, "origin inside quotes");
        env_done(&e);
        text_done(&t);
}

/* C escapes, as systemd's Environment= reads them: inside quotes of either
 * kind too; an escape it does not know makes it ignore the assignment. */
static void test_assignment_escapes(void) {
        Env e = {};
        Text t = {};
        _cleanup_strv_free_ char **problems = NULL;
        const char *line = "O=--data-root\\x20/srv/docker 'Q=a\\tb' U=\\u00e9\\101 S=x\\sy B=\\\\ BAD=a\\-b N=after";

        for (size_t i = 0; line[i]; i++)
                text_append(&t, line[i], 7, i);
        ok(env_parse_assignments(&e, &t, 7, 3, &problems) == 0, "Environment= with escapes: parsed");
        const EnvVar *o = env_get(&e, "O"), *q = env_get(&e, "Q"), *u = env_get(&e, "U"), *sp = env_get(&e, "S"),
                     *n = env_get(&e, "N"), *bs = env_get(&e, "B");
        ok_streq(o ? o->value.s : NULL, "--data-root /srv/docker", "\\x20 is a space");
        ok_streq(q ? q->value.s : NULL, "a\tb", "\\t inside single quotes is a tab");
        ok_streq(u ? u->value.s : NULL, "\xc3\xa9" "A", "\\u00e9 in UTF-8, \\101 octal");
        ok_streq(sp ? sp->value.s : NULL, "x y", "\\s is a space");
        ok_streq(bs ? bs->value.s : NULL, "\\", "\\\\ is a backslash");
        ok(!env_get(&e, "BAD") && !n && strv_length(problems) == 1 && strstr(problems[0], "escape systemd does not know"),
           "an unknown escape: that assignment and the rest of the line are ignored, and said");
        env_done(&e);
        text_done(&t);

        /* \U must be a valid code point for systemd (unichar_is_valid()),
         * \u may be any 16 bits but NUL. */
        line = "A=\\ud800 B=\\U0001f600 C=\\U0000d800 D=1";
        for (size_t i = 0; line[i]; i++)
                text_append(&t, line[i], 7, i);
        problems = strv_free(problems);
        ok(env_parse_assignments(&e, &t, 7, 4, &problems) == 0, "Environment= with \\u and \\U: parsed");
        const EnvVar *a = env_get(&e, "A"), *b = env_get(&e, "B");
        ok_streq(a ? a->value.s : NULL, "\xed\xa0\x80", "\\ud800: a surrogate, as systemd writes it");
        ok_streq(b ? b->value.s : NULL, "\xf0\x9f\x98\x80", "\\U0001f600 in UTF-8");
        ok(!env_get(&e, "C") && !env_get(&e, "D") && strv_length(problems) == 1,
           "\\U0000d800 is no escape for systemd: the rest of the line is ignored");
        env_done(&e);
        text_done(&t);
}

static void test_names(void) {
        ok(env_name_is_valid("DOCKER_OPTS", 11), "DOCKER_OPTS");
        ok(env_name_is_valid("_x1", 3), "_x1");
        ok(!env_name_is_valid("1x", 2), "1x");
        ok(!env_name_is_valid("a-b", 3), "a-b");
        ok(!env_name_is_valid("", 0), "empty");
        ok(env_name_is_valid("ab=c", 2), "length limits the name");
}

int main(void) {
        test_assignment_escapes();
        test_systemd();
        test_shell();
        test_assignments();
        test_names();
        return tap_done();
}
