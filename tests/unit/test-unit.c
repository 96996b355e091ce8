/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>
#include <sys/stat.h>

#include "config/unit.h"
#include "tap.h"
#include "tree.h"
#include "util/macro.h"
#include "util/path.h"
#include "util/strv.h"

#define VENDOR "/lib/systemd/system/docker.service"
#define USR_VENDOR "/usr/lib/systemd/system/docker.service"
#define ETC "/etc/systemd/system/docker.service"
#define ETC_D "/etc/systemd/system/docker.service.d"

static const char vendor_unit[] =
        "[Unit]\n"
        "Description=Docker Application Container Engine\n"
        "ExecStart=/in/the/unit/section\n"
        "\n"
        "[Service]\n"
        "Type=notify\n"
        "ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n"
        "EnvironmentFile=-/etc/default/docker\n"
        "Environment=VENDOR=1\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n";

typedef struct Loaded {
        SourceSet s;
        UnitInfo u;
        WordList words;
        char **unprovable; /* what exec_words() could not know */
        int r;
} Loaded;

static void load(Loaded *l, const char *root) {
        *l = (Loaded){ .s.root = root };
        l->r = unit_load(&l->s, "docker.service", &l->u);
}

static void loaded_done(Loaded *l) {
        word_list_done(&l->words);
        strv_free(l->unprovable);
        if (l->r >= 0)
                unit_info_done(&l->u);
        source_set_done(&l->s);
}

/* The words of the last ExecStart= in effect. */
static char *exec_words(Loaded *l) {
        word_list_done(&l->words);
        if (l->r < 0 || l->u.n_exec == 0)
                return NULL;
        l->unprovable = strv_free(l->unprovable);
        if (unit_exec_to_words(&l->u.exec[l->u.n_exec - 1], l->u.name, &l->u.environment, &l->words,
                               &l->unprovable) < 0)
                return NULL;
        _cleanup_strv_free_ char **v = word_list_to_strv(&l->words);
        return strv_join(v, "|");
}

static const char *exec_file(Loaded *l) {
        if (l->u.n_exec == 0)
                return NULL;
        return l->s.files[l->u.exec[l->u.n_exec - 1].src].path;
}

/* Whether word i of the last ExecStart is the plain bytes "expect" of file
 * path. */
static bool word_is_bytes(Loaded *l, size_t i, const char *path, const char *expect) {
        const Word *w;

        if (i >= l->words.n)
                return false;
        w = &l->words.words[i];
        if (!w->editable || w->src >= l->s.n || !streq(l->s.files[w->src].path, path))
                return false;
        return w->end - w->start == strlen(expect) &&
               memcmp(l->s.files[w->src].content + w->start, expect, strlen(expect)) == 0;
}

static void test_search_path(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *w = NULL;

        tree_write(root, VENDOR, vendor_unit);
        load(&l, root);
        ok(l.r == 0, "load the vendor unit");
        ok_streq(l.u.fragment, VENDOR, "fragment in /lib");
        ok(!l.u.masked, "not masked");
        ok_int(l.u.n_exec, 1, "one ExecStart= (the [Unit] one does not count)");
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|-H|fd://|--containerd=/run/containerd/containerd.sock", "vendor ExecStart");
        ok(l.u.env_files && streq(l.u.env_files[0], "-/etc/default/docker") && !l.u.env_files[1],
           "EnvironmentFile= with its '-' kept");
        ok(l.u.environment.n == 1 && streq(l.u.environment.vars[0].value.s, "1"), "Environment=");
        ok(word_is_bytes(&l, 2, VENDOR, "fd://"), "a word points at its bytes in the unit");
        ok(l.s.files[l.u.exec[0].src].vendor, "a /lib unit is a vendor file");
        loaded_done(&l);

        tree_write(root, USR_VENDOR, "[Service]\nExecStart=/usr/bin/dockerd --usr\n");
        load(&l, root);
        ok_streq(l.u.fragment, USR_VENDOR, "/usr/lib beats /lib");
        loaded_done(&l);

        tree_write(root, ETC, "[Service]\nExecStart=/usr/bin/dockerd --etc\n");
        load(&l, root);
        ok_streq(l.u.fragment, ETC, "/etc beats /lib and /usr/lib");
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--etc", "only the /etc unit is read");
        ok(strv_length(l.u.env_files) == 0, "nothing from the hidden vendor unit");
        ok(!l.s.files[l.u.exec[0].src].vendor, "an /etc unit is not a vendor file");
        loaded_done(&l);

        tree_write(root, "/run/systemd/system/docker.service", "[Service]\nExecStart=/usr/bin/dockerd --run\n");
        load(&l, root);
        ok_streq(l.u.fragment, ETC, "/etc beats /run");
        loaded_done(&l);

        tree_remove(root);

        root = tree_new("test-unit");
        load(&l, root);
        ok(l.r == -ENOENT, "no unit: -ENOENT");
        loaded_done(&l);
        tree_remove(root);
}

static void test_dropins(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *order = NULL, *w = NULL;

        tree_write(root, VENDOR, vendor_unit);
        tree_write(root, "/usr/lib/systemd/system/docker.service.d/10-usr.conf", "[Service]\nEnvironment=ORDER=usr\n");
        tree_write(root, "/usr/lib/systemd/system/docker.service.d/30-same.conf",
                   "[Service]\nEnvironment=MASKED=vendor\n");
        tree_write(root, ETC_D "/30-same.conf", "[Service]\nEnvironment=SAME=etc\n");
        tree_write(root, ETC_D "/20-etc.conf", "[Service]\nEnvironment=ORDER=etc\n");
        tree_write(root, "/run/systemd/system/docker.service.d/05-run.conf", "[Service]\nEnvironment=ORDER=run\n");
        tree_write(root, "/etc/systemd/system/service.d/15-type.conf", "[Service]\nEnvironment=TYPE=1\n");
        tree_write(root, ETC_D "/40-ignored.conf.disabled", "[Service]\nEnvironment=IGNORED=1\n");
        tree_write(root, ETC_D "/.50-hidden.conf", "[Service]\nEnvironment=IGNORED=1\n");
        load(&l, root);
        ok(l.r == 0, "load with drop-ins");
        order = strv_join(l.u.dropins, "|");
        ok_streq(order,
                 "/run/systemd/system/docker.service.d/05-run.conf|"
                 "/usr/lib/systemd/system/docker.service.d/10-usr.conf|"
                 "/etc/systemd/system/service.d/15-type.conf|"
                 "/etc/systemd/system/docker.service.d/20-etc.conf|"
                 "/etc/systemd/system/docker.service.d/30-same.conf",
                 "drop-ins from every directory, sorted by file name, masked and non-.conf ones left out");
        const EnvVar *o = env_get(&l.u.environment, "ORDER");
        ok_streq(o ? o->value.s : NULL, "etc", "drop-ins apply in name order: the last one wins");
        ok(env_get(&l.u.environment, "MASKED") == NULL, "the /usr/lib drop-in of the same name is not read");
        ok(env_get(&l.u.environment, "SAME") != NULL, "the /etc one is");
        ok(env_get(&l.u.environment, "TYPE") != NULL, "service.d drop-ins apply");
        ok(env_get(&l.u.environment, "IGNORED") == NULL, "hidden and disabled files are not drop-ins");
        ok(env_get(&l.u.environment, "VENDOR") != NULL, "the unit's own Environment= stays");
        loaded_done(&l);

        /* ExecStart= reset in a drop-in. */
        tree_write(root, ETC_D "/60-exec.conf",
                   "[Service]\n"
                   "ExecStart=\n"
                   "ExecStart=/usr/bin/dockerd --data-root /srv/docker\n");
        load(&l, root);
        ok_int(l.u.n_exec, 1, "an empty ExecStart= resets the list");
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root|/srv/docker", "the drop-in's command line");
        ok_streq(exec_file(&l), ETC_D "/60-exec.conf", "written in the drop-in");
        ok(word_is_bytes(&l, 2, ETC_D "/60-exec.conf", "/srv/docker"), "the value word points into the drop-in");
        loaded_done(&l);

        /* Without the reset both lines are in effect. */
        tree_write(root, ETC_D "/60-exec.conf", "[Service]\nExecStart=/usr/bin/dockerd --data-root /srv/docker\n");
        load(&l, root);
        ok_int(l.u.n_exec, 2, "without a reset a second ExecStart= is added");
        loaded_done(&l);

        /* EnvironmentFile= and Environment= resets. */
        tree_write(root, ETC_D "/60-exec.conf",
                   "[Service]\n"
                   "EnvironmentFile=\n"
                   "EnvironmentFile=/etc/sysconfig/docker\n"
                   "EnvironmentFile=-/etc/sysconfig/docker-storage\n"
                   "Environment=\n"
                   "Environment=\"A=one two\" B=3 'C=x y'\n"
                   "Environment=D=4\n");
        load(&l, root);
        order = mfree(order);
        order = strv_join(l.u.env_files, "|");
        ok_streq(order, "/etc/sysconfig/docker|-/etc/sysconfig/docker-storage",
                 "an empty EnvironmentFile= drops the earlier ones");
        ok(env_get(&l.u.environment, "VENDOR") == NULL && env_get(&l.u.environment, "ORDER") == NULL,
           "an empty Environment= drops the earlier assignments");
        const EnvVar *a = env_get(&l.u.environment, "A"), *b = env_get(&l.u.environment, "B"),
                     *c = env_get(&l.u.environment, "C"), *d = env_get(&l.u.environment, "D");
        ok_streq(a ? a->value.s : NULL, "one two", "a quoted assignment");
        ok_streq(b ? b->value.s : NULL, "3", "an unquoted one on the same line");
        ok_streq(c ? c->value.s : NULL, "x y", "a single-quoted one");
        ok_streq(d ? d->value.s : NULL, "4", "a second Environment= line adds");
        ok(a && a->line == 6 && streq(l.s.files[a->src].path, ETC_D "/60-exec.conf"), "where A was set");
        loaded_done(&l);

        tree_remove(root);
}

static void test_continuation(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *w = NULL;
        const char *unit =
                "[Service]\n"
                "ExecStart=/usr/bin/dockerd \\\n"
                "    --data-root /srv/docker \\\n"
                "# a comment inside the command\n"
                "; and another\n"
                "    -H fd://   \n"
                "ExecReload=/bin/kill -s HUP $MAINPID\n";

        tree_write(root, ETC, unit);
        load(&l, root);
        ok(l.r == 0, "load");
        ok_int(l.u.n_exec, 1, "one ExecStart=");
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root|/srv/docker|-H|fd://",
                 "continuation lines joined, comment lines inside skipped");
        ok(word_is_bytes(&l, 2, ETC, "/srv/docker"), "a word on a continuation line points at its bytes");
        ok(word_is_bytes(&l, 4, ETC, "fd://"), "a word after the comment lines too");
        const UnitExecStart *e = &l.u.exec[0];
        ok_int(e->line, 2, "line of the ExecStart=");
        ok_int(e->raw_start, strstr(unit, "/usr/bin/dockerd") - unit, "raw start");
        ok_int(e->raw_end, strstr(unit, "fd://") + 5 - unit, "raw end: the end of the last line, trailing space dropped");
        loaded_done(&l);

        /* systemd continues a line only when a backslash is its very last
         * character, and no other backslash escapes it: a blank after it,
         * or a second one before it, ends the line (systemd-analyze verify
         * warns of an unknown key for the next line). */
        tree_write(root, ETC,
                   "[Service]\n"
                   "ExecStart=/usr/bin/dockerd -H fd:// \\ \n"
                   "Environment=A=1 \\\t\n"
                   "Environment=B=2 \\\\\n"
                   "Environment=C=3 \\\\\\\r\n"
                   "D=4\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|-H|fd://|\\", "a backslash before a trailing blank is a word of its own");
        ok(env_get(&l.u.environment, "A") && env_get(&l.u.environment, "B"),
           "a backslash before a tab, or an escaped one, does not swallow the next line");
        const EnvVar *cv = env_get(&l.u.environment, "C");
        ok(cv && streq(cv->value.s, "3") && env_get(&l.u.environment, "D"),
           "a third backslash continues the line, also before a CRLF");
        loaded_done(&l);
        tree_remove(root);
}

/* A drop-in saved with a byte order mark: systemd skips it, so its
 * [Service] section and the ExecStart= in it count. */
static void test_byte_order_mark(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *w = NULL;
        const char *dropin = "\xEF\xBB\xBF[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd:// --data-root /srv/docker\n";

        tree_write(root, VENDOR, vendor_unit);
        tree_write(root, ETC_D "/override.conf", dropin);
        load(&l, root);
        ok(l.r == 0, "load");
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|-H|fd://|--data-root|/srv/docker",
                 "a drop-in that opens with a byte order mark: its ExecStart= counts");
        ok(word_is_bytes(&l, 4, ETC_D "/override.conf", "/srv/docker"), "its words point at their bytes");
        loaded_done(&l);
        tree_remove(root);
}

static void test_expansion(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *w = NULL;
        const char *unit =
                "[Service]\n"
                "Environment=\"OPTS=--debug   --data-root /srv/docker\" \"ROOT=/a b\" EMPTY=\n"
                "ExecStart=/usr/bin/dockerd $OPTS --exec-root=${ROOT}/e $NOPE ${NOPE}x $$HOME $EMPTY\n";

        tree_write(root, ETC, unit);
        load(&l, root);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--debug|--data-root|/srv/docker|--exec-root=/a b/e|x|$HOME",
                 "$VAR split into words, ${VAR} kept in one, unset and empty $VAR give no word");
        ok_int(l.words.n, 7, "word count");
        ok(word_is_bytes(&l, 3, ETC, "/srv/docker"), "a word from $OPTS points at the Environment= bytes");
        ok(word_is_bytes(&l, 1, ETC, "--debug"), "so does the first one");
        ok(l.words.n > 4 && !l.words.words[4].editable, "a ${VAR} splice is not editable");
        ok(l.words.n > 6 && !l.words.words[6].editable, "$$ is a synthetic character");
        loaded_done(&l);

        /* systemd removes quotes when it splits $VAR. (Environment=
         * itself takes C escapes, in quotes too: the file's "\\" is the
         * one backslash the value holds; "\ " would be an escape it does
         * not know, and the line ignored.) */
        const char *quoted =
                "[Service]\n"
                "Environment='OPTS=--data-root \"/srv/q\" --label a\\\\ b --x=\"1 2\"'\n"
                "ExecStart=/usr/bin/dockerd $OPTS\n";
        tree_write(root, ETC, quoted);
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root|/srv/q|--label|a b|--x=1 2",
                 "$VAR split with quotes and backslashes removed");
        ok(word_is_bytes(&l, 2, ETC, "/srv/q"), "a word all inside quotes is its inner bytes");
        ok(l.words.n > 5 && !l.words.words[4].editable && !l.words.words[5].editable,
           "words with a removed backslash or inner quotes are not editable");
        loaded_done(&l);

        /* Environment= values take specifiers too (systemd.exec(5):
         * "specifier expansion is performed"): a value of the running
         * system is not known here. */
        tree_write(root, ETC,
                   "[Service]\n"
                   "Environment=\"OPTS=--data-root /srv/%p\\x2d%%\" HOST=%H\n"
                   "ExecStart=/usr/bin/dockerd $OPTS\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root|/srv/docker-%", "Environment=: escapes, then specifiers");
        const EnvVar *host = env_get(&l.u.environment, "HOST");
        ok_streq(host ? host->value.s : NULL, "%H", "a specifier of the running system: kept as written");
        ok(strv_length(l.u.problems) == 1 && strstr(l.u.problems[0], ETC ":2: Environment= HOST=%H has %H"),
           "… said (%s)", strna(l.u.problems ? l.u.problems[0] : NULL));
        ok(strv_length(l.u.unprovable) == 0 && strv_length(l.unprovable) == 0,
           "… and no obstacle while ExecStart= does not use it (a proxy password with %%40 in it)");
        loaded_done(&l);

        /* A quote never closed: systemd ignores the assignment, so the
         * option it would carry is not on the command line. */
        tree_write(root, ETC,
                   "[Service]\n"
                   "Environment=\"OPTS=--data-root /srv/x\n"
                   "ExecStart=/usr/bin/dockerd $OPTS\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd", "Environment= with a quote never closed: ignored, as systemd 252 does");
        ok(strv_length(l.u.problems) == 1 && strstr(l.u.problems[0], "a quote that is never closed"),
           "… and said (%s)", strna(l.u.problems ? l.u.problems[0] : NULL));
        loaded_done(&l);

        /* Used by ExecStart= inside a word: one word all the same, its
         * characters marked as not known, for the reader of the flags to
         * tell whether they matter. */
        tree_write(root, ETC,
                   "[Service]\n"
                   "Environment=HOST=%H \"PROXY=http://u:p%40ss@proxy\"\n"
                   "ExecStart=/usr/bin/dockerd --label host=${HOST} --data-root /srv/x\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--label|host=%H|--data-root|/srv/x", "${HOST} in place, as written");
        ok(strv_length(l.unprovable) == 0, "… one word: the words are known (%s)",
           strna(l.unprovable ? l.unprovable[0] : NULL));
        ok(l.words.n == 5 && text_find_flag(&l.words.words[2].chars, 0, 7, TEXT_UNKNOWN) == 5 &&
                   text_find_flag(&l.words.words[4].chars, 0, 6, TEXT_UNKNOWN) == 6,
           "… the characters of its value marked unknown, and only those");
        const EnvVar *proxy = env_get(&l.u.environment, "PROXY");
        ok(proxy && text_find_flag(&proxy->value, 0, proxy->value.len, TEXT_UNKNOWN) == 0,
           "%%4 is no specifier: systemd 252 ignores the assignment, older ones keep it: all of the value unknown");
        ok(strv_length(l.u.problems) == 2 && strstr(l.u.problems[1], "PROXY=http://u:p%40ss@proxy has %4: systemd 252 "
                                                                     "knows no such specifier"),
           "… and said (%s)", strna(l.u.problems ? l.u.problems[1] : NULL));
        loaded_done(&l);

        /* As a word of its own: how many words it makes is not known. */
        tree_write(root, ETC,
                   "[Service]\n"
                   "Environment=HOST=%H\n"
                   "ExecStart=/usr/bin/dockerd --label $HOST\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok(strv_length(l.unprovable) == 1 && strstr(l.unprovable[0], "ExecStart= uses $HOST, whose value (%H) has"),
           "a variable with such a specifier, a word of its own: unprovable (%s)",
           strna(l.unprovable ? l.unprovable[0] : NULL));
        loaded_done(&l);
        tree_remove(root);
}

/* Specifiers and C escapes in ExecStart=, each as systemd 252 reads it
 * (systemd-analyze verify shows the command it makes of the first word):
 * escapes resolved first, then the specifiers of each word; one systemd
 * does not know is kept as written; the ':' prefix expands no variable. */
static void test_exec_specifiers_and_escapes(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *w = NULL;

        tree_write(root, ETC,
                   "[Service]\n"
                   "ExecStart=/usr/bin/dockerd --data-root=/srv/%p --label=%n --label=%N%i%I --label=%P%f "
                   "--exec-root=/run/\\x64ocker\\x20x --label=\"a\\tb\\s\" 100%% \\x25n \\q '\\u00e9\\101' end\\ \n");
        load(&l, root);
        w = exec_words(&l);
        ok_streq(w,
                 "/usr/bin/dockerd|--data-root=/srv/docker|--label=docker.service|--label=docker|"
                 "--label=docker/docker|--exec-root=/run/docker x|--label=a\tb |100%|docker.service|\\q|\xc3\xa9"
                 "A|end\\",
                 "specifiers known from the unit's name expanded, escapes resolved, an unknown one kept");
        ok(strv_length(l.unprovable) == 0, "all of it known (%s)", strna(l.unprovable ? l.unprovable[0] : NULL));
        ok(l.words.n > 1 && !l.words.words[1].editable, "a word with an expanded specifier is not editable");
        ok(l.words.n > 9 && l.words.words[9].editable, "an unknown escape is the file's own bytes");
        loaded_done(&l);

        /* Specifiers systemd takes from the running system, the manager,
         * or that older versions do not know: read as written, one word
         * each, marked as not known. */
        tree_write(root, ETC,
                   "[Service]\n"
                   "ExecStart=/usr/bin/dockerd --data-root=%S/docker -H unix://%t/docker.sock --label=%j\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root=%S/docker|-H|unix://%t/docker.sock|--label=%j",
                 "such a specifier is read as written");
        ok(strv_length(l.unprovable) == 0, "… the words are known (%s)", strna(l.unprovable ? l.unprovable[0] : NULL));
        ok(l.words.n == 5 && text_find_flag(&l.words.words[1].chars, 0, 20, TEXT_UNKNOWN) == 12 &&
                   text_find_flag(&l.words.words[1].chars, 14, 20, TEXT_UNKNOWN) == 20 &&
                   text_find_flag(&l.words.words[3].chars, 0, 22, TEXT_UNKNOWN) == 7 &&
                   text_find_flag(&l.words.words[4].chars, 0, 10, TEXT_UNKNOWN) == 8,
           "… their two characters marked unknown");
        loaded_done(&l);

        /* After a character that is no letter or digit, '%' is no
         * specifier: as written, and known. One systemd 252 does not
         * know: it ignores the line, or the unit does not load; older
         * versions keep it. */
        tree_write(root, ETC,
                   "[Service]\n"
                   "ExecStart=/usr/bin/dockerd --label=a%/b --label=p%40ss\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--label=a%/b|--label=p%40ss", "'%%/' and '%%4' read as written");
        ok(l.words.n == 3 && text_find_flag(&l.words.words[1].chars, 0, 12, TEXT_UNKNOWN) == 12,
           "'%%/' is known");
        ok(strv_length(l.unprovable) == 1 &&
                   strstr(l.unprovable[0], "ExecStart= word '--label=p%40ss' has %4: systemd 252 knows no such"),
           "… and only the one systemd refuses said, wherever it is (%s)",
           strna(l.unprovable ? l.unprovable[0] : NULL));
        loaded_done(&l);

        tree_write(root, ETC,
                   "[Service]\n"
                   "Environment=OPTS=--debug\n"
                   "ExecStart=:/usr/bin/dockerd $OPTS ${OPTS} $$ \"--data-root /x\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|$OPTS|${OPTS}|$$|--data-root /x", "the ':' prefix: no variable expanded");
        ok(strv_length(l.unprovable) == 1 && strstr(l.unprovable[0], "never closed"),
           "a quote never closed: systemd ignores the line (%s)", strna(l.unprovable ? l.unprovable[0] : NULL));
        loaded_done(&l);
        tree_remove(root);
}

static void test_exec_words(void) {
        UnitExecStart e = {};
        WordList l = {};
        Env env = {};
        const char *line = "/usr/bin/dockerd \"--data-root\" '/a b' --x=\\\"q\\\" 100%% \"\" /end";

        for (size_t i = 0; line[i]; i++)
                text_append(&e.value, line[i], 0, 50 + i);
        ok(unit_exec_to_words(&e, "docker.service", &env, &l, NULL) == 0, "split");
        _cleanup_strv_free_ char **v = word_list_to_strv(&l);
        _cleanup_free_ char *j = strv_join(v, "|");
        ok_streq(j, "/usr/bin/dockerd|--data-root|/a b|--x=\"q\"|100%||/end", "quotes, escapes, %%");
        ok(l.words[0].editable && l.words[0].start == 50 && l.words[0].end == 66, "a plain word");
        ok(l.words[1].editable && l.words[1].start == 68, "a word that is all inside quotes is its inner bytes");
        ok(!l.words[3].editable, "a word with a backslash escape is not editable");
        ok(!l.words[4].editable, "%% is not editable");
        ok(!l.words[5].editable && streq(l.words[5].text, ""), "an empty quoted word");
        ok(l.words[6].editable, "a plain word after them");
        word_list_done(&l);
        text_done(&e.value);
}

static void test_masked_and_prefix(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *w = NULL;

        tree_write(root, VENDOR, vendor_unit);
        tree_symlink(root, ETC, "/dev/null");
        load(&l, root);
        ok(l.r == 0 && l.u.masked, "a unit linked to /dev/null is masked");
        ok_streq(l.u.fragment, ETC, "the mask is the fragment");
        ok_int(l.u.n_exec, 0, "a masked unit has no ExecStart=");
        loaded_done(&l);
        tree_remove(root);

        root = tree_new("test-unit");
        const char *unit = "[Service]\nExecStart=-/usr/bin/dockerd --data-root /srv/x\n";
        tree_write(root, ETC, unit);
        load(&l, root);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root|/srv/x", "prefix '-' stripped");
        ok_int(l.u.exec[0].raw_start, strchr(unit, '-') - unit, "the raw value keeps the prefix");
        ok(word_is_bytes(&l, 0, ETC, "/usr/bin/dockerd"), "the program word points after the prefix");
        ok(word_is_bytes(&l, 2, ETC, "/srv/x"), "the value word");
        loaded_done(&l);

        tree_write(root, ETC, "[Service]\nExecStart=@+!/usr/bin/dockerd argv0 -D\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|-D", "several prefixes stripped, the argv[0] of '@' left out");
        loaded_done(&l);

        /* '@': the second word is argv[0], the arguments follow it. */
        unit = "[Service]\nExecStart=@/usr/bin/dockerd dockerd -H fd:// --data-root /srv/d\n";
        tree_write(root, ETC, unit);
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|-H|fd://|--data-root|/srv/d", "'@': argv[0] is no argument");
        ok(l.u.exec[0].argv0 && !l.u.exec[0].no_env, "'@' noted");
        ok_int(l.u.exec[0].raw_start, strchr(unit, '@') - unit, "the raw value keeps the '@'");
        ok(word_is_bytes(&l, 0, ETC, "/usr/bin/dockerd") && word_is_bytes(&l, 1, ETC, "-H") &&
           word_is_bytes(&l, 4, ETC, "/srv/d"), "the words point at their bytes, after argv[0]");
        ok(!l.unprovable, "nothing unknown");
        loaded_done(&l);

        /* A quoted argv[0], one that looks like a flag; a $VAR one, which
         * systemd expands too: the first of its words is argv[0], and when
         * it has none, the word after it is. */
        static const struct {
                const char *unit, *words;
        } argv0_cases[] = {
                { "[Service]\nExecStart=-@/usr/bin/dockerd \"my dockerd\" -D\n", "/usr/bin/dockerd|-D" },
                { "[Service]\nExecStart=@/usr/bin/dockerd --data-root=/not/an/argument -D\n", "/usr/bin/dockerd|-D" },
                { "[Service]\nEnvironment=\"ARGS=dockerd --data-root /x\"\nExecStart=@/usr/bin/dockerd $ARGS -D\n",
                  "/usr/bin/dockerd|--data-root|/x|-D" },
                { "[Service]\nEnvironment=EMPTY=\nExecStart=@/usr/bin/dockerd $EMPTY --data-root /x\n",
                  "/usr/bin/dockerd|/x" },
        };
        for (size_t i = 0; i < ELEMENTSOF(argv0_cases); i++) {
                tree_write(root, ETC, argv0_cases[i].unit);
                load(&l, root);
                free(w);
                w = exec_words(&l);
                const char *line = strstr(argv0_cases[i].unit, "ExecStart=");

                ok_streq(w, argv0_cases[i].words, "'@': argv[0] left out of %.*s", (int) strcspn(line, "\n"), line);
                loaded_done(&l);
        }

        /* '@' without argv[0]: systemd ignores the line. */
        tree_write(root, ETC, "[Service]\nExecStart=@/usr/bin/dockerd\n");
        load(&l, root);
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd", "'@' alone: the program");
        ok(l.unprovable && strstr(l.unprovable[0], "'@' prefix but no argv[0]"), "'@' alone is not known: %s",
           strna(l.unprovable ? l.unprovable[0] : NULL));
        loaded_done(&l);
        tree_remove(root);
}

static void test_overlay_dropins(void) {
        char *root = tree_new("test-unit");
        Loaded l;
        _cleanup_free_ char *w = NULL, *order = NULL;

        tree_write(root, VENDOR, vendor_unit);
        tree_write(root, "/usr/lib/systemd/system/docker.service.d/50-x.conf",
                   "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --data-root /vendor\n");

        /* A planned /etc drop-in masks the vendor one of the same name. */
        l = (Loaded){ .s.root = root };
        source_set_overlay(&l.s, ETC_D "/50-x.conf", "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --data-root /planned\n");
        l.r = unit_load(&l.s, "docker.service", &l.u);
        order = strv_join(l.u.dropins, "|");
        ok_streq(order, ETC_D "/50-x.conf", "a planned drop-in masks a lower one of the same name");
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root|/planned", "and only it applies");
        loaded_done(&l);

        /* A planned deletion masks nothing: the vendor one shows again. */
        tree_write(root, ETC_D "/50-x.conf", "[Service]\nExecStart=\nExecStart=/usr/bin/dockerd --data-root /etc\n");
        l = (Loaded){ .s.root = root };
        source_set_overlay(&l.s, ETC_D "/50-x.conf", NULL);
        l.r = unit_load(&l.s, "docker.service", &l.u);
        free(order);
        order = strv_join(l.u.dropins, "|");
        ok_streq(order, "/usr/lib/systemd/system/docker.service.d/50-x.conf",
                 "a planned deletion uncovers the lower drop-in");
        free(w);
        w = exec_words(&l);
        ok_streq(w, "/usr/bin/dockerd|--data-root|/vendor", "which applies");
        loaded_done(&l);

        /* Only directories of the search path hold drop-ins. */
        l = (Loaded){ .s.root = root };
        source_set_overlay(&l.s, "/opt/docker.service.d/60-y.conf", "[Service]\nEnvironment=Y=1\n");
        source_set_overlay(&l.s, ETC_D "/60-y.conf.bak", "[Service]\nEnvironment=Y=1\n");
        source_set_overlay(&l.s, "/run/systemd/system/docker.service.d/70-z.conf", "[Service]\nEnvironment=Z=1\n");
        l.r = unit_load(&l.s, "docker.service", &l.u);
        free(order);
        order = strv_join(l.u.dropins, "|");
        ok_streq(order, ETC_D "/50-x.conf|/run/systemd/system/docker.service.d/70-z.conf",
                 "planned files outside the search path or not named .conf are no drop-ins");
        loaded_done(&l);
        tree_remove(root);
}

/* The file an ExecStart= program runs: a bare name in systemd's own list
 * of directories, /usr/local first, never in PATH. */
static void test_exec_program(void) {
        char *root = tree_new("test-unit");
        _cleanup_free_ char *usr = path_join(root, "/usr/bin/dockerd"),
                            *local = path_join(root, "/usr/local/bin/dockerd");
        char *p = NULL;

        ok(unit_exec_program(root, "/opt/bin/dockerd", &p) == 0 && p && endswith(p, "/opt/bin/dockerd") &&
                        startswith(p, root),
                "an absolute path, under the root (%s)", strna(p));
        p = mfree(p);
        ok(unit_exec_program(root, "dockerd", &p) == 0 && !p, "a bare name found nowhere: none");
        tree_write(root, "/usr/bin/dockerd", "#!/bin/sh\n");
        ok(chmod(usr, 0755) == 0, "dockerd in /usr/bin");
        ok(unit_exec_program(root, "dockerd", &p) == 0 && streq_ptr(p, usr), "a bare name in /usr/bin (%s)", strna(p));
        p = mfree(p);
        tree_write(root, "/usr/local/bin/dockerd", "#!/bin/sh\n");
        ok(unit_exec_program(root, "dockerd", &p) == 0 && streq_ptr(p, usr), "one that cannot be run is skipped");
        p = mfree(p);
        ok(chmod(local, 0755) == 0, "dockerd in /usr/local/bin");
        ok(unit_exec_program(root, "dockerd", &p) == 0 && streq_ptr(p, local), "/usr/local/bin first (%s)", strna(p));
        p = mfree(p);
        ok(unit_exec_program(root, "bin/dockerd", &p) == 0 && !p, "a relative path with a '/': none");
        ok(unit_exec_program(root, NULL, &p) == 0 && !p, "no program: none");
        tree_remove(root);
}

int main(void) {
        test_search_path();
        test_dropins();
        test_continuation();
        test_byte_order_mark();
        test_expansion();
        test_exec_specifiers_and_escapes();
        test_exec_words();
        test_masked_and_prefix();
        test_overlay_dropins();
        test_exec_program();
        return tap_done();
}
