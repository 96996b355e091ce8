/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The proof that a configuration reads for its readers (dockerd, systemd,
 * sh) as this program read it, on fixture trees: each rule refuses with the
 * file, line and column, and passes what its reader takes. Also dockerd's
 * strict reading of daemon.json, and the directories set-data-root
 * refuses. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/data-root.h"
#include "config/proof.h"
#include "tap.h"
#include "tree.h"
#include "util/macro.h"

#define INIT_SCRIPT "#!/bin/sh\nBASE=docker\nDOCKER_OPTS=\n. /etc/default/$BASE\nexec dockerd $DOCKER_OPTS\n"
#define VENDOR_UNIT "/lib/systemd/system/docker.service"
#define JSON "/etc/docker/daemon.json"

/* ---- daemon.json as dockerd reads it ---- */

static void strict(const char *text, size_t size, bool new_engine, long expect_off, const char *why) {
        JsonDialect d = { .bom = new_engine, .empty = new_engine };
        _cleanup_free_ char *msg = NULL;
        size_t off = 0;
        int r = daemon_json_check_strict(text, size, &d, &off, &msg);

        if (expect_off < 0) {
                ok_int(r, 0, "strict: %s accepted (%s)", why, strna(msg));
                return;
        }
        ok(r == -EBADMSG && (long) off == expect_off, "strict: %s refused at %ld (got %d at %zu: %s)", why,
           expect_off, r, off, strna(msg));
}

#define S(t) t, sizeof(t) - 1

static void test_strict(void) {
        strict(S("{\n\t\"data-root\": \"/srv/docker\",\n\t\"labels\": [\"a=b\"]\n}\n"), false, -1, "a plain file");
        strict(S("{\"labels\": [\"a=b\tc\"]}"), false, 16, "a raw TAB inside a string");
        strict(S("{\"a\": \"x\ny\"}"), false, 8, "a raw newline inside a string");
        strict(S("{\"a\": \"x\\ty\"}"), false, -1, "an escaped TAB");
        strict(S("{\r\n\t\"a\": 1\r\n}\r\n"), false, -1, "CRLF line ends (JSON whitespace)");
        strict(S("{\"a\": 1}\v"), false, 8, "a vertical tab outside a string");
        strict(S("\xef\xbb\xbf{}"), false, 0, "a UTF-8 BOM for Engine < 23");
        strict(S("\xef\xbb\xbf{}"), true, -1, "a UTF-8 BOM for Engine >= 23");
        strict(S("\xff\xfe{\0}\0"), true, 0, "UTF-16");
        strict(S(""), false, 0, "an empty file for Engine < 23 (\"EOF\")");
        strict(S(" \n"), true, -1, "an empty file for Engine >= 23");
        strict(S("{} x"), false, 3, "content after the object");
        strict(S("[]"), false, 0, "an array at the top level");
        strict(S("{\"a\": \"\xe9\"}"), false, 7, "a Latin-1 byte in a string");
        strict(S("{\"a\": \"\xc3\xa9\"}"), false, -1, "UTF-8 in a string");
        strict(S("{\"a\": 01}"), false, 7, "a number with a leading zero");
        strict(S("{\"a\": 1.}"), false, 6, "a number ending in a dot");
        strict(S("{\"a\": -}"), false, 6, "a lone minus");
        strict(S("{\"a\": 1e400}"), false, 6, "a number beyond a float64");
        strict(S("{\"a\": 1.5e-3, \"b\": -0}"), false, -1, "numbers JSON allows");
        strict(S("{\"a\": \"\\u00e9\\ud83d\\ude00\"}"), false, -1, "\\u escapes");
        strict(S("{\"a\": \"\\u12\"}"), false, 7, "a short \\u escape");
        strict(S("{\"a\": \"\\x\"}"), false, 7, "an invalid escape");
        strict(S("{\"a\": 1,}"), false, 8, "a comma before '}'");
        strict(S("{\"a\": [1,]}"), false, 9, "a comma before ']'");
        strict(S("{\"a\" 1}"), false, 5, "a missing ':'");
        strict(S("{\"a\": tru}"), false, 6, "a bad literal");
        strict(S("{\"a\": 1, \"a\": 2}"), false, -1, "duplicate keys (Go keeps the last)");
        strict(S("{\"a\": \"x"), false, 8, "a string that is never closed");
        strict(S("{\"a\": {\"b\": [true, false, null]}}"), false, -1, "nested values");
}

/* ---- the proof on trees ---- */

static int prove_tree(const char *root, InitSystem init, const ProofContext *ctx, char **ret_refusal) {
        DockerConfig c = {};
        int r;

        *ret_refusal = NULL;
        r = docker_config_load(root, init, NULL, &c);
        if (r < 0)
                return r;
        r = config_prove(&c, ctx, ret_refusal);
        docker_config_done(&c);
        return r;
}

static void check(const char *root, InitSystem init, const ProofContext *ctx, const char *what, const char *want) {
        _cleanup_free_ char *refusal = NULL;
        int r = prove_tree(root, init, ctx, &refusal);

        if (!want) {
                ok_int(r, 0, "%s: proved (%s)", what, strna(refusal));
                return;
        }
        ok(r == -ECANCELED && refusal && strstr(refusal, want), "%s: refused: '%s' (got %d: %s)", what, want, r,
           strna(refusal));
}

static void test_sysv(const ProofContext *ctx) {
        char *root = tree_new("test-proof");

        tree_write(root, "/etc/init.d/docker", INIT_SCRIPT);
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/docker --log-level warn\"\n");
        check(root, INIT_SYSV, ctx, "plain DOCKER_OPTS", NULL);

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/docker\"\r\nX=1\r\n");
        check(root, INIT_SYSV, ctx, "CRLF", "/etc/default/docker:1:38: a CR (carriage return: DOS line endings)");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/docker\"\nX=\"open\n");
        check(root, INIT_SYSV, ctx, "an unbalanced quote", "/etc/default/docker:2:3: this double quote");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root=$(cat /etc/root)\"\n");
        check(root, INIT_SYSV, ctx, "command substitution", "/etc/default/docker:1:26: a '$' construct");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root=`cat /etc/root`\"\n");
        check(root, INIT_SYSV, ctx, "backticks", "/etc/default/docker:1:26: command substitution");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=~/docker\n");
        check(root, INIT_SYSV, ctx, "a tilde", "/etc/default/docker:1:13: '~'");

        /* The shell splits at IFS; this program splits at blanks: sh says
         * what the script passes. */
        tree_write(root, "/etc/default/docker", "IFS=,\nDOCKER_OPTS=\"--data-root,/srv/docker\"\n");
        check(root, INIT_SYSV, ctx, "IFS changed",
              "sh splits $DOCKER_OPTS into ['--data-root', '/srv/docker'], this program into "
              "['--data-root,/srv/docker']");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/*\"\n");
        check(root, INIT_SYSV, ctx, "a file name pattern", "/etc/default/docker:1:31: a '*', '?' or '['");

        /* The script's own variables are set when it sources the file. */
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/$BASE\"\nexport DOCKER_OPTS\n");
        check(root, INIT_SYSV, ctx, "a variable of the script", NULL);

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/docker\x01\"\n");
        check(root, INIT_SYSV, ctx, "a control character", "/etc/default/docker:1:37: a byte 0x01");

        tree_write(root, "/etc/default/docker", "# caf\xe9\nDOCKER_OPTS=\n");
        check(root, INIT_SYSV, ctx, "Latin-1", "/etc/default/docker:1:6: not valid UTF-8");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"-H fd://\"\nif true; then DOCKER_OPTS=; fi\n");
        check(root, INIT_SYSV, ctx, "shell code", "/etc/default/docker:2:1: a shell command");
        tree_remove(root);
}

/* openrc-run sources /etc/conf.d/docker before the script: sh's reading
 * of the files is that order's. */
static void test_openrc(const ProofContext *ctx) {
        char *root = tree_new("test-proof");

        tree_write(root, "/etc/init.d/docker",
                   "#!/sbin/openrc-run\n"
                   "DOCKER_OPTS=\"${DOCKER_OPTS} --log-level=warn\"\n"
                   "command_args=\"${DOCKER_OPTS}\"\n");
        tree_write(root, "/etc/conf.d/docker", "DOCKER_OPTS=\"--data-root /srv/docker\"\n");
        check(root, INIT_OPENRC, ctx, "openrc: the script's assignment after /etc/conf.d/docker", NULL);
        tree_write(root, "/etc/conf.d/docker", "DOCKER_OPTS=\"--data-root /srv/${RC_SVCNAME}\"\n");
        check(root, INIT_OPENRC, ctx, "openrc: the service's name set for /etc/conf.d/docker", NULL);
        tree_remove(root);
}

static void test_systemd(const ProofContext *ctx) {
        char *root = tree_new("test-proof");

        tree_write(root, VENDOR_UNIT,
                   "[Service]\r\nEnvironmentFile=/etc/default/docker\r\nExecStart=/usr/bin/dockerd $DOCKER_OPTS\r\n");
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/docker\"\r\n");
        check(root, INIT_SYSTEMD, ctx, "CRLF in a unit and an EnvironmentFile= (systemd ends lines there)", NULL);

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=--data-root\r/srv/docker\n");
        check(root, INIT_SYSTEMD, ctx, "a lone CR in an EnvironmentFile=", "/etc/default/docker:1:24: a CR");

        tree_write(root, "/etc/default/docker", "# note \\\nDOCKER_OPTS=--data-root /srv/docker\n");
        check(root, INIT_SYSTEMD, ctx, "a comment ending in a backslash", "/etc/default/docker:1:8: a comment line");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root\r\n/srv/docker\"\n");
        check(root, INIT_SYSTEMD, ctx, "a CR inside a quoted value", "/etc/default/docker:1:25: the value holds a CR");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/d\xe9\"\n");
        check(root, INIT_SYSTEMD, ctx, "a value not UTF-8", "/etc/default/docker:1:32: the value is not valid UTF-8");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS='--data-root /srv/docker\n");
        check(root, INIT_SYSTEMD, ctx, "an unterminated quote", "/etc/default/docker:1:13: this quote is never closed");

        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=--data-root /srv/docker\n");
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd\x02 $DOCKER_OPTS\n");
        check(root, INIT_SYSTEMD, ctx, "a control character in a unit", "docker.service:2:27: a byte 0x02");
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd\r$DOCKER_OPTS\n");
        check(root, INIT_SYSTEMD, ctx, "a lone CR in a unit", "docker.service:2:27: a CR");
        tree_remove(root);
}

/* ExecStart= as dockerd's unit, with env an Environment= value (NULL:
 * none), checked as check() does. */
static void spec(const char *root, const ProofContext *ctx, const char *env, const char *exec, const char *want) {
        _cleanup_free_ char *unit = NULL;

        if (asprintf(&unit, "[Service]\n%s%s%sExecStart=%s\n", env ? "Environment=" : "", strempty(env),
                     env ? "\n" : "", exec) < 0)
                abort();
        tree_write(root, VENDOR_UNIT, unit);
        check(root, INIT_SYSTEMD, ctx, exec, want);
}

/* Specifiers as systemd 252 reads them. One whose value only the running
 * system knows (%H) is refused only where it could change the data root or
 * the file dockerd reads: inside another flag's value it is that value,
 * whatever it is. */
static void test_specifiers(const ProofContext *ctx) {
        char *root = tree_new("test-proof");

        spec(root, ctx, NULL, "/usr/bin/dockerd -H fd:// --label host=%H --data-root /srv/docker", NULL);
        spec(root, ctx, NULL, "/usr/bin/dockerd --label %H -l %m --log-opt=tag=%H --data-root=/srv/%N", NULL);
        spec(root, ctx, NULL, "/usr/bin/dockerd -Dl%H --label=a%/b", NULL);
        spec(root, ctx, NULL, "/usr/bin/dockerd --data-root=/x/%H",
             "docker.service:2: ExecStart= word '--data-root=/x/%H', the value of --data-root, has a specifier other "
             "than");
        spec(root, ctx, NULL, "/usr/bin/dockerd -g /x/%H", "word '/x/%H', the value of --graph, has");
        spec(root, ctx, NULL, "/usr/bin/dockerd -Dg%H", "word '-Dg%H', the value of --graph, has");
        spec(root, ctx, NULL, "/usr/bin/dockerd --config-file=%H",
             "the value of --config-file, has a specifier other than %n, %N, %p, %P, %i, %I, %f and %% takes its value "
             "from the running system or from systemd's version, not from the unit, and is not expanded here, so the "
             "configuration file dockerd reads is not known");
        spec(root, ctx, NULL, "/usr/bin/dockerd %H", "word '%H' has a specifier other than");
        spec(root, ctx, NULL, "/usr/bin/dockerd %H",
             "and it is no flag's value, so it could be any flag, --data-root among them");
        spec(root, ctx, NULL, "/usr/bin/dockerd --debug %H", "word '%H' has");
        spec(root, ctx, NULL, "/usr/bin/dockerd -D%H", "word '-D%H' has");
        spec(root, ctx, NULL, "/usr/bin/dockerd --lab%H=x", "word '--lab%H=x' has");
        spec(root, ctx, NULL, "/usr/bin/dockerd -%H", "word '-%H' has");
        spec(root, ctx, NULL, "/usr/bin/%H --label=x", "and it is the program, so what systemd runs is not known");
        spec(root, ctx, "X=%H", "/usr/bin/dockerd --label=host=${X} --label ${X}", NULL);
        spec(root, ctx, "X=%H", "/usr/bin/dockerd --label $X", "docker.service:3: ExecStart= uses $X, whose value (%H)");
        spec(root, ctx, "X=%H", "/usr/bin/dockerd --data-root=/srv/${X}", "word '--data-root=/srv/%H', the value of");
        spec(root, ctx, "X=a%4", "/usr/bin/dockerd --label=${X}", NULL);
        spec(root, ctx, NULL, "/usr/bin/dockerd --label=p%40ss",
             "word '--label=p%40ss' has %4: systemd 252 knows no such specifier");
        tree_remove(root);
}

static void test_json(const ProofContext *ctx) {
        char *root = tree_new("test-proof");
        _cleanup_free_ char *fifo = NULL, *dir = NULL;
        ProofContext newer = *ctx;

        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        tree_write(root, JSON, "{\n\t\"data-root\": \"/srv/docker\",\n\t\"labels\": [\"a=b\tc\"]\n}\n");
        check(root, INIT_SYSTEMD, ctx, "a TAB in daemon.json", "/etc/docker/daemon.json:3:17: a raw TAB inside a string");

        tree_write(root, JSON, "\xef\xbb\xbf{\"data-root\": \"/srv/docker\"}\n");
        check(root, INIT_SYSTEMD, ctx, "a BOM, Engine unknown", "daemon.json:1:1: a UTF-8 byte-order mark");
        newer.engine_major = 23;
        check(root, INIT_SYSTEMD, &newer, "a BOM, Engine 23", NULL);

        tree_write(root, JSON, "");
        check(root, INIT_SYSTEMD, ctx, "an empty daemon.json, Engine unknown", "an empty file");
        check(root, INIT_SYSTEMD, &newer, "an empty daemon.json, Engine 23", NULL);

        /* Files that cannot be read are refused, not taken as missing. */
        fifo = path_join(root, JSON);
        ok(unlink(fifo) == 0 && mkfifo(fifo, 0600) == 0, "daemon.json becomes a FIFO");
        check(root, INIT_SYSTEMD, ctx, "daemon.json a FIFO", "/etc/docker/daemon.json is a FIFO (named pipe)");
        ok(unlink(fifo) == 0 && mkdir(fifo, 0755) == 0, "daemon.json becomes a directory");
        check(root, INIT_SYSTEMD, ctx, "daemon.json a directory", "/etc/docker/daemon.json is a directory");
        ok(rmdir(fifo) == 0, "rmdir");
        check(root, INIT_SYSTEMD, ctx, "no daemon.json", NULL);

        /* A FIFO where an environment file no unit reads would be: nothing
         * reads it, nothing blocks, nothing fails. */
        dir = path_join(root, "/etc/default/docker");
        ok(tree_mkdir(root, "/etc/default") == 0 && mkfifo(dir, 0600) == 0, "an unread /etc/default/docker FIFO");
        check(root, INIT_SYSTEMD, ctx, "an unread FIFO", NULL);
        tree_remove(root);
}

/* "dockerd --validate" where the Engine has it: a stand-in that accepts a
 * file unless it holds "bad", and checks the flags it is given. */
static void test_validate(const ProofContext *ctx) {
        char *root = tree_new("test-proof");
        _cleanup_free_ char *fake = path_join(root, "fake-dockerd");
        ProofContext v = *ctx;

        {
                const char *body =
                        "#!/bin/sh\n"
                        "[ \"$1\" = --validate ] && [ \"$2\" = --config-file ] || { echo \"bad args: $*\" >&2; exit 2; }\n"
                        "[ \"$(pwd -P)\" = / ] || { echo \"run in $(pwd -P)\" >&2; exit 2; }\n"
                        "case \"$*\" in *--log-level*) ;; *) echo 'flags missing' >&2; exit 2 ;; esac\n"
                        "case \" $* \" in *' dockerd '*) echo 'dockerd does not take positional arguments' >&2; "
                        "exit 1 ;; esac\n"
                        "if grep -q bad \"$3\"; then echo \"unable to configure: bad thing\" >&2; exit 1; fi\n"
                        "echo configuration OK\n";
                ok(write_file_atomic(fake, body, strlen(body), 0755) == 0, "the stand-in written");
        }
        v.validate = true;
        v.dockerd = fake;
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd:// --log-level warn\n");
        tree_write(root, JSON, "{\"data-root\": \"/srv/docker\"}\n");
        check(root, INIT_SYSTEMD, &v, "dockerd --validate accepts", NULL);
        tree_write(root, JSON, "{\"data-root\": \"/srv/docker\", \"note\": \"bad\"}\n");
        check(root, INIT_SYSTEMD, &v, "dockerd --validate refuses",
              "/etc/docker/daemon.json: \"dockerd --validate\" rejects the new configuration: unable to configure: "
              "bad thing");
        /* '@': argv[0] is no argument dockerd is given. */
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=@/usr/bin/dockerd dockerd -H fd:// --log-level warn\n");
        tree_write(root, JSON, "{\"data-root\": \"/srv/docker\"}\n");
        check(root, INIT_SYSTEMD, &v, "dockerd --validate of a unit with '@': the flags after argv[0]", NULL);
        v.dockerd = NULL; /* owned by the test, not the context */
        tree_remove(root);
}

/* The entries of $TMPDIR (this test's own) called like the copies this
 * program makes of the files it proves, when they are files. */
static int tmp_copies(void) {
        return tree_count_entries(getenv("TMPDIR"), "docker-relocate-");
}

static char *stand_in(const char *root, const char *name, const char *body) {
        char *path = path_join(root, name);

        ok(path && write_file_atomic(path, body, strlen(body), 0755) == 0, "the stand-in %s written", name);
        return path;
}

/* The files sh sources and dockerd validates are copies in memory, which
 * the messages name by the files they copy, and which nothing outlives. */
static void test_copies(const ProofContext *ctx) {
        char *root = tree_new("test-proof");
        _cleanup_free_ char *seen = path_join(root, "seen"), *log = path_join(root, "log"), *body = NULL;
        _cleanup_free_ char *sh = NULL, *killer = NULL, *dockerd = NULL, *got = NULL;
        ProofContext v = *ctx;
        int before = tmp_copies(), status = 0;
        pid_t pid;

        tree_write(root, "/etc/init.d/docker", INIT_SCRIPT);
        tree_write(root, "/etc/default/docker", "DOCKER_OPTS=\"--data-root /srv/docker\"\n");

        /* sh's error names the copy ($4: after -c, the script and $0). */
        sh = stand_in(root, "sh-fails", "#!/bin/sh\necho \"$4: 3: Syntax error: end of file unexpected\" >&2\nexit 2\n");
        v.sh = sh;
        check(root, INIT_SYSV, &v, "sh's error names the file",
              "/etc/default/docker: sh cannot source it (exit status 2: /etc/default/docker: 3: Syntax error");

        /* Killed while sh runs: sh was given the text, /tmp holds nothing. */
        if (asprintf(&body, "#!/bin/sh\ncase \"$4\" in /proc/*) ;; *) exit 9 ;; esac\ncat \"$4\" > '%s'\n"
                            "kill -KILL $PPID\nsleep 5\n", seen) < 0)
                abort();
        killer = stand_in(root, "sh-kills", body);
        v.sh = killer;
        pid = fork();
        if (pid == 0) {
                _cleanup_free_ char *refusal = NULL;
                _exit(prove_tree(root, INIT_SYSV, &v, &refusal) < 0 ? 1 : 0);
        }
        ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
           "the proof was killed while sh ran");
        got = tree_read(root, "/seen");
        ok_streq(got, "DOCKER_OPTS=\"--data-root /srv/docker\"\n", "sh was given the file through /proc");
        ok(before >= 0 && tmp_copies() == before, "nothing left in $TMPDIR (%d entries before, %d after)", before,
           tmp_copies());
        v.sh = ctx->sh;

        /* A dockerd kept out of this process's /proc entry (a security
         * module): the verdict is the one on a file below /tmp. $3: the
         * file, after --validate --config-file. */
        body = mfree(body);
        if (asprintf(&body, "#!/bin/sh\necho \"$3\" >> '%s'\n"
                            "case \"$3\" in /proc/*) echo \"unable to configure the Docker daemon with file $3: "
                            "open $3: permission denied\" >&2; exit 1 ;; esac\n"
                            "if grep -q bad \"$3\"; then echo \"unable to configure the Docker daemon with file $3: "
                            "bad thing\" >&2; exit 1; fi\n", log) < 0)
                abort();
        dockerd = stand_in(root, "dockerd-no-proc", body);
        v.validate = true;
        v.dockerd = dockerd;
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        tree_write(root, JSON, "{\"data-root\": \"/srv/docker\"}\n");
        check(root, INIT_SYSTEMD, &v, "dockerd that cannot read /proc: accepts from a file", NULL);
        tree_write(root, JSON, "{\"data-root\": \"/srv/docker\", \"note\": \"bad\"}\n");
        check(root, INIT_SYSTEMD, &v, "dockerd that cannot read /proc: refuses from a file",
              "/etc/docker/daemon.json: \"dockerd --validate\" rejects the new configuration: unable to configure the "
              "Docker daemon with file /etc/docker/daemon.json: bad thing");
        got = mfree(got);
        got = tree_read(root, "/log");
        ok(got && startswith(got, "/proc/") && strstr(got, "/docker-relocate-text.") &&
           strstr(strchr(got, '\n') + 1, "\n/proc/"),
           "each time in memory first, then from a file (%s)", strna(got));
        ok(tmp_copies() == before, "the files are removed");

        /* No file can be written to ask again ($TMPDIR gone): the verdict
         * on the copy in memory stands, not an error about $TMPDIR. */
        {
                _cleanup_free_ char *saved = strdup(getenv("TMPDIR")), *gone = path_join(root, "no-such-dir");

                body = mfree(body);
                if (asprintf(&body, "#!/bin/sh\nif grep -q bad \"$3\"; then echo \"unable to configure the Docker "
                                    "daemon with file $3: bad thing\" >&2; exit 1; fi\n") < 0)
                        abort();
                dockerd = mfree(dockerd);
                dockerd = stand_in(root, "dockerd-reads", body);
                v.dockerd = dockerd;
                setenv("TMPDIR", gone, 1);
                check(root, INIT_SYSTEMD, &v, "no $TMPDIR to ask again in: the refusal from memory stands",
                      "/etc/docker/daemon.json: \"dockerd --validate\" rejects the new configuration: unable to "
                      "configure the Docker daemon with file /etc/docker/daemon.json: bad thing");
                setenv("TMPDIR", saved, 1);
        }
        v.dockerd = NULL;
        tree_remove(root);
}

/* The dockerd docker.service (or the init script) runs, from the tree. */
static char *dockerd_of(const char *root, InitSystem init) {
        DockerConfig c = {};
        char *p = NULL;

        ok(docker_config_load(root, init, NULL, &c) == 0 && docker_config_dockerd(&c, &p) == 0, "load %s", root);
        docker_config_done(&c);
        return p;
}

/* The Engine version and "dockerd --validate" are asked of the dockerd the
 * service runs, in "/", not of another one in PATH. */
static void test_engine(void) {
        char *root = tree_new("test-proof");
        _cleanup_free_ char *bin = path_join(root, "/path-bin"), *usr = path_join(root, "/usr/bin/dockerd"),
                            *sbin = path_join(root, "/usr/sbin/dockerd"), *ran = path_join(root, "/ran"),
                            *saved = strdup(getenv("PATH")), *path = NULL, *body = NULL, *got = NULL;
        _cleanup_(proof_context_done) ProofContext ctx = {};
        int r;

        /* dockerd in PATH: Engine 20.10, without --validate. The unit's:
         * 27.3, which answers from "/" only and notes that it ran. */
        ok(tree_mkdir(root, "/path-bin") == 0, "a PATH directory");
        free(stand_in(root, "/path-bin/dockerd", "#!/bin/sh\necho 'Docker version 20.10.24+dfsg1, build 297e128'\n"));
        if (asprintf(&body,
                    "#!/bin/sh\necho \"$0 $*\" >> '%s'\n[ \"$(pwd -P)\" = / ] || exit 3\n"
                    "echo 'Docker version 27.3.1, build ce12230'\n",
                    ran) < 0 ||
                asprintf(&path, "%s:%s", bin, saved) < 0)
                abort();
        ok(tree_mkdir(root, "/usr/bin") == 0 && tree_mkdir(root, "/usr/sbin") == 0, "/usr/bin, /usr/sbin");
        free(stand_in(root, "/usr/bin/dockerd", body));
        free(stand_in(root, "/usr/sbin/dockerd", body));
        setenv("PATH", path, 1);

        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
        got = dockerd_of(root, INIT_SYSTEMD);
        ok_streq(got, usr, "systemd: the ExecStart= program");
        r = proof_context_init(NULL, got, &ctx);
        ok(r == 0 && ctx.engine_major == 27 && ctx.engine_minor == 3 && ctx.validate && streq_ptr(ctx.dockerd, usr),
                "the unit's dockerd is asked, in \"/\", not the one in PATH (Engine %d.%d)", ctx.engine_major,
                ctx.engine_minor);
        proof_context_done(&ctx);
        body = mfree(body);
        body = tree_read(root, "/ran");
        ok(body && strstr(body, "/usr/bin/dockerd --version\n"), "… with --version (%s)", strna(body));
        r = proof_context_init(NULL, NULL, &ctx);
        ok(r == 0 && ctx.engine_major == 20 && !ctx.validate && ctx.dockerd &&
                        endswith(ctx.dockerd, "/path-bin/dockerd"),
                "no dockerd known: the one in PATH (Engine %d.%d)", ctx.engine_major, ctx.engine_minor);
        proof_context_done(&ctx);
        got = mfree(got);

        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=dockerd -H fd://\n");
        got = dockerd_of(root, INIT_SYSTEMD);
        ok_streq(got, sbin, "systemd: a bare name where systemd looks (/usr/sbin before /usr/bin), not in PATH");
        got = mfree(got);
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=@/usr/sbin/dockerd dockerd -H fd://\n");
        got = dockerd_of(root, INIT_SYSTEMD);
        ok_streq(got, sbin, "systemd: the program of an '@' line, not its argv[0]");
        got = mfree(got);
        tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/opt/none/dockerd -H fd://\n");
        got = dockerd_of(root, INIT_SYSTEMD);
        ok(proof_context_init(NULL, got, &ctx) == 0 && ctx.engine_major == 0 && !ctx.validate && !ctx.dockerd,
                "a unit's dockerd that does not exist: no Engine known, not the one in PATH");
        proof_context_done(&ctx);
        got = mfree(got);

        tree_write(
                root, "/etc/init.d/docker", "#!/bin/sh\nDOCKERD=/usr/sbin/dockerd\nexec \"$DOCKERD\" $DOCKER_OPTS\n");
        got = dockerd_of(root, INIT_SYSV);
        ok_streq(got, sbin, "an init script: its DOCKERD=");
        got = mfree(got);
        tree_write(root, "/etc/init.d/docker", INIT_SCRIPT);
        got = dockerd_of(root, INIT_SYSV);
        ok(!got, "an init script that runs dockerd by its name: the one in PATH");

        /* Another tree: nothing of it is run. */
        {
                DockerConfig c = {};
                _cleanup_free_ char *before = tree_read(root, "/ran"), *after = NULL;

                tree_write(root, VENDOR_UNIT, "[Service]\nExecStart=/usr/bin/dockerd -H fd://\n");
                ok(docker_config_load(root, INIT_SYSTEMD, NULL, &c) == 0 && proof_context_init_config(&c, &ctx) == 0 &&
                                ctx.engine_major == 0 && !ctx.validate && !ctx.dockerd,
                        "a tree: its dockerd is not asked");
                after = tree_read(root, "/ran");
                ok(streq_ptr(before, after), "… and did not run");
                docker_config_done(&c);
                proof_context_done(&ctx);
        }
        setenv("PATH", saved, 1);
        tree_remove(root);
}

static void test_data_root(void) {
        char *root = tree_new("test-proof");
        _cleanup_free_ char *refusal = NULL;

        tree_write(root, "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        tree_write(root, "/srv/file", "x\n");
        tree_symlink(root, "/srv/dangling", "/srv/nowhere");
        tree_symlink(root, "/data", "/run/data");
        tree_mkdir(root, "/srv/docker");
        static const struct {
                const char *path, *want;
        } cases[] = {
                { "/", "it is a directory of the system itself" },
                { "/var/lib", "it is a directory of the system itself" },
                { "/proc/docker", "/proc is a kernel file system" },
                { "/sys/x", "/sys is a kernel file system" },
                { "/run/docker-data", "/run is a tmpfs" },
                { "/var/run/docker", "/var/run is a link to /run" },
                { "/etc/passwd", "/etc is the system's configuration" },
                { "/usr/local/docker", "/usr is the system's programs" },
                { "/var/lib/docker-relocate/data", "this program's own journal" },
                { "/srv/file", "it is a file, not a directory" },
                { "/srv/dangling", "it is a dangling symlink" },
                { "/data/docker", "it leads to /run/data/docker, and /run is a tmpfs" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = data_root_check(root, cases[i].path, &refusal);
                ok(r == -ECANCELED && refusal && strstr(refusal, cases[i].want), "data root %s refused: %s",
                   cases[i].path, strna(refusal));
                refusal = mfree(refusal);
        }
        ok_int(data_root_check(root, "/srv/docker", &refusal), 0, "an existing directory is fine");
        ok_int(data_root_check(root, "/mnt", &refusal), 0, "/mnt (the recipes' favourite) is fine");
        ok_int(data_root_check(root, "/mnt/docker-data/docker", &refusal), 0, "a new directory is fine");
        ok_int(data_root_check(NULL, "/dev/shm/docker", &refusal), -ECANCELED, "on the host, below /dev");
        refusal = mfree(refusal);
        tree_remove(root);
}

int main(void) {
        _cleanup_(proof_context_done) ProofContext ctx = {};
        char *tmp = tree_set_tmpdir("test-proof-tmp");

        /* A tree, not the host: no Engine known, the strictest dialect. */
        ok(proof_context_init("/nonexistent-root", NULL, &ctx) == 0 && ctx.engine_major == 0 && !ctx.validate,
           "a tree: no Engine version, no --validate");
        ok(ctx.sh != NULL, "a shell to source environment files with");
        test_strict();
        test_sysv(&ctx);
        test_openrc(&ctx);
        test_systemd(&ctx);
        test_specifiers(&ctx);
        test_json(&ctx);
        test_validate(&ctx);
        test_copies(&ctx);
        test_engine();
        test_data_root();
        tree_remove(tmp);
        return tap_done();
}
