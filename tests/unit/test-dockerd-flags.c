/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "config/dockerd-flags.h"
#include "tap.h"
#include "util/macro.h"

typedef struct Parsed {
        WordList argv;
        DockerFlags f;
        int r;
} Parsed;

static void parse(Parsed *p, const char *cmdline) {
        Text t = {};

        *p = (Parsed){};
        for (size_t i = 0; cmdline[i]; i++)
                text_append(&t, cmdline[i], 0, i);
        if (word_list_split_text(&p->argv, &t) < 0)
                abort();
        text_done(&t);
        p->r = docker_flags_parse(&p->argv, &p->f);
}

static void parsed_done(Parsed *p) {
        word_list_done(&p->argv);
        if (p->r >= 0)
                docker_flags_done(&p->f);
}

static const char *value_of(const Parsed *p, const char *name) {
        const DockerFlag *f = docker_flags_get(&p->f, name);
        return f ? f->value : NULL;
}

static void check_value(const char *cmdline, const char *name, const char *value, size_t word, size_t value_word,
                        bool inline_value) {
        Parsed p;
        const DockerFlag *f;

        parse(&p, cmdline);
        f = docker_flags_get(&p.f, name);
        ok(p.r == 0 && f, "%s: %s found", cmdline, name);
        ok_streq(f ? f->value : NULL, value, "%s: value", cmdline);
        ok(f && f->word == word && f->value_word == value_word && f->inline_value == inline_value,
           "%s: word %zu, value word %zu, inline %s", cmdline, f ? f->word : 0, f ? f->value_word : 0,
           f ? yes_no(f->inline_value) : "-");
        parsed_done(&p);
}

static void test_spellings(void) {
        check_value("dockerd --data-root=/x", "data-root", "/x", 1, 1, true);
        check_value("dockerd --data-root /x", "data-root", "/x", 1, 2, false);
        check_value("dockerd -g /x", "graph", "/x", 1, 2, false);
        check_value("dockerd -g/x", "graph", "/x", 1, 1, true);
        check_value("dockerd -g=/x", "graph", "/x", 1, 1, true);
        check_value("dockerd --graph /x", "graph", "/x", 1, 2, false);
        check_value("dockerd --graph=/x", "graph", "/x", 1, 1, true);
        check_value("/usr/bin/dockerd --debug --data-root /x", "data-root", "/x", 2, 3, false);
        check_value("dockerd -D --data-root /x", "data-root", "/x", 2, 3, false);
        check_value("dockerd --live-restore -g /x", "graph", "/x", 2, 3, false);
        /* Booleans of newer and older Engines: none takes the next word. */
        check_value("dockerd --allow-direct-routing --data-root /x", "data-root", "/x", 2, 3, false);
        check_value("dockerd --restart --data-root /x", "data-root", "/x", 2, 3, false);
        check_value("dockerd -r -g /x", "graph", "/x", 2, 3, false);
        check_value("dockerd -H fd:// -H unix:///run/d.sock", "host", "unix:///run/d.sock", 3, 4, false);
        check_value("dockerd --host=tcp://0.0.0.0:2375", "host", "tcp://0.0.0.0:2375", 1, 1, true);
        check_value("dockerd -s overlay2", "storage-driver", "overlay2", 1, 2, false);
        check_value("dockerd --config-file /etc/d.json", "config-file", "/etc/d.json", 1, 2, false);
        /* A flag that takes a value takes the next word even when it looks
         * like a flag, as pflag does. */
        check_value("dockerd --data-root --debug", "data-root", "--debug", 1, 2, false);
}

static void test_booleans(void) {
        const DockerFlag *f;
        Parsed p;

        parse(&p, "dockerd --debug --iptables=false --live-restore --selinux-enabled");
        ok(p.r == 0 && p.f.n == 4, "four flags");
        const DockerFlag *d = docker_flags_get(&p.f, "debug");
        ok(d && d->value == NULL && !d->inline_value, "a boolean without value");
        ok_streq(value_of(&p, "iptables"), "false", "a boolean with =value");
        ok(docker_flags_get(&p.f, "live-restore") && docker_flags_get(&p.f, "selinux-enabled"), "the rest");
        parsed_done(&p);

        parse(&p, "dockerd --debug /stray");
        ok(p.f.n == 1 && value_of(&p, "debug") == NULL, "a boolean does not take the next word");
        parsed_done(&p);

        parse(&p, "dockerd -D -g /x");
        ok(p.f.n == 2 && docker_flags_get(&p.f, "debug") && streq(value_of(&p, "graph"), "/x"), "-D then -g");
        parsed_done(&p);

        /* pflag: a boolean shorthand lets the next letters be flags. */
        parse(&p, "dockerd -Dg /x");
        ok(p.f.n == 2 && docker_flags_get(&p.f, "debug") && value_of(&p, "debug") == NULL,
           "-Dg: -D is a boolean of its own");
        ok_streq(value_of(&p, "graph"), "/x", "-Dg /x: -g takes the next word");
        f = docker_flags_get(&p.f, "graph");
        ok(f && f->combined && f->word == 1 && f->value_word == 2 && !f->inline_value, "-Dg /x: words");
        parsed_done(&p);

        parse(&p, "dockerd -Dg/x");
        ok_streq(value_of(&p, "graph"), "/x", "-Dg/x: inline value");
        f = docker_flags_get(&p.f, "graph");
        ok(f && f->combined && f->inline_value, "-Dg/x: combined and inline");
        parsed_done(&p);

        parse(&p, "dockerd -D=true -g /x");
        ok_streq(value_of(&p, "debug"), "true", "-D=true");
        f = docker_flags_get(&p.f, "graph");
        ok(f && !f->combined, "separate words are not combined");
        parsed_done(&p);

        parse(&p, "dockerd --data-root");
        f = docker_flags_get(&p.f, "data-root");
        ok(f && f->value == NULL, "a value flag at the end has no value");
        parsed_done(&p);
}

static void test_legacy_and_order(void) {
        Parsed p;

        parse(&p, "/usr/bin/docker daemon -g /old --data-root=/new");
        ok(p.r == 0 && p.f.first_arg == 2, "\"docker daemon\": flags start after the subcommand");
        ok_streq(value_of(&p, "graph"), "/old", "-g after docker daemon");
        ok_streq(value_of(&p, "data-root"), "/new", "--data-root after docker daemon");
        parsed_done(&p);

        parse(&p, "/usr/bin/dockerd daemon -g /x");
        ok(p.f.first_arg == 1, "dockerd has no daemon subcommand");
        parsed_done(&p);

        parse(&p, "dockerd --data-root /a --data-root=/b -g /c --data-root /d");
        ok_streq(value_of(&p, "data-root"), "/d", "the last occurrence wins");
        ok_int(p.f.n, 4, "every occurrence is recorded");
        const DockerFlag *last = docker_flags_get(&p.f, "data-root");
        ok(last && last->word == 6 && last->value_word == 7, "the last one's words");
        parsed_done(&p);

        parse(&p, "dockerd --data-root /a -- --data-root /b");
        ok_streq(value_of(&p, "data-root"), "/a", "nothing after --");
        parsed_done(&p);

        parse(&p, "dockerd -Z --debug");
        ok(p.f.n == 2 && docker_flags_get(&p.f, "Z") && docker_flags_get(&p.f, "debug"),
           "an unknown shorthand is kept without taking a value");
        parsed_done(&p);

        parse(&p, "");
        ok(p.r == 0 && p.f.n == 0, "an empty command line");
        parsed_done(&p);
}

static void test_json_keys(void) {
        static const char *const map[][2] = {
                { "host", "hosts" },
                { "label", "labels" },
                { "storage-opt", "storage-opts" },
                { "insecure-registry", "insecure-registries" },
                { "registry-mirror", "registry-mirrors" },
                { "log-opt", "log-opts" },
                { "exec-opt", "exec-opts" },
                { "add-runtime", "runtimes" },
                { "default-ulimit", "default-ulimits" },
                { "data-root", "data-root" },
                { "graph", "graph" },
                { "storage-driver", "storage-driver" },
                { "debug", "debug" },
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                ok_streq(docker_flag_json_key(map[i][0]), map[i][1], "json key of --%s", map[i][0]);
        ok(docker_flag_is_cli_only("config-file"), "--config-file has no JSON twin");
        ok(docker_flag_is_cli_only("validate"), "--validate has no JSON twin");
        ok(!docker_flag_is_cli_only("data-root"), "--data-root has one");
        ok(!docker_flag_is_cli_only("host"), "--host has one");
}

/* cmdline with each '?' a character whose value is not known here (a
 * specifier of the running system): whether it could change the flags of
 * names; want: the word it is in (-1: harmless), and the flag whose value
 * it is ("" for none). */
static void check_unknown(const char *cmdline, long want_word, const char *want_flag) {
        static const char *const names[] = { "data-root", "graph", "config-file", NULL };
        const DockerFlag *fl = NULL;
        size_t word = 0;
        Parsed p = {};
        Text t = {};
        int r;

        for (size_t i = 0; cmdline[i]; i++) {
                text_append(&t, cmdline[i], 0, i);
                if (cmdline[i] == '?')
                        t.flags[i] |= TEXT_UNKNOWN;
        }
        if (word_list_split_text(&p.argv, &t) < 0)
                abort();
        text_done(&t);
        p.r = docker_flags_parse(&p.argv, &p.f);
        r = docker_flags_find_unknown(&p.argv, &p.f, names, &word, &fl);
        if (want_word < 0)
                ok_int(r, 0, "'%s': what is not known is a value that does not matter", cmdline);
        else
                ok(r == 1 && (long) word == want_word && streq(fl ? fl->name : "", want_flag),
                   "'%s': word %ld could change %s (got %d, word %zu, %s)", cmdline, want_word,
                   *want_flag ? want_flag : "which flags dockerd sees", r, word, fl ? fl->name : "no flag");
        parsed_done(&p);
}

static void test_unknown(void) {
        check_unknown("dockerd -H fd:// --data-root /srv", -1, "");
        check_unknown("dockerd --label host=?? --label ?? --log-opt=tag=? -l?? -Dl? --data-root /srv", -1, "");
        check_unknown("docker daemon --label ?", -1, "");
        check_unknown("dockerd --data-root=/x/?", 1, "data-root");
        check_unknown("dockerd --data-root /x/?", 2, "data-root");
        check_unknown("dockerd -g ?", 2, "graph");
        check_unknown("dockerd -Dg?", 1, "graph");
        check_unknown("dockerd -g=?", 1, "graph");
        check_unknown("dockerd --config-file=?", 1, "config-file");
        check_unknown("dockerd --label x ?", 3, "");
        check_unknown("dockerd --debug ?", 2, "");
        check_unknown("dockerd -D?", 1, "");
        check_unknown("dockerd -?", 1, "");
        check_unknown("dockerd --?", 1, "");
        check_unknown("dockerd --lab?=x", 1, "");
        check_unknown("dockerd --label?", 1, "");
        check_unknown("?dockerd --label x", 0, "");
        check_unknown("docker da?mon --label x", 1, "");
        check_unknown("dockerd --label x -- ?", 4, "");
}

int main(void) {
        test_spellings();
        test_booleans();
        test_legacy_and_order();
        test_json_keys();
        test_unknown();
        return tap_done();
}
