/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cli.h"
#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "cmd/completion.h"
#include "config.h"
#include "copy/copy.h"
#include "disk/mkfs.h"
#include "disk/prepare.h"
#include "output/output.h"
#include "util/interrupt.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/macro.h"

static Options arg_options = {
        .wait_device_sec = -1,
        .pre_copy = -1,
        .copier = -1,
};
static const Verb *arg_verb;
static bool arg_quiet;
static bool arg_verbose;

static void print_option(FILE *f, const Option *o) {
        char left[64];

        snprintf(left, sizeof(left), "  %c%c --%s%s%s", o->short_name ? '-' : ' ', o->short_name ?: ' ', o->name,
                 o->arg ? " " : "", strempty(o->arg));
        if (strlen(left) < 27)
                fprintf(f, "%-27s%s\n", left, o->help);
        else
                fprintf(f, "%s\n%27s%s\n", left, "", o->help);
}

static void help(FILE *f) {
        fprintf(f, "Usage: %s [OPTIONS...] COMMAND [ARGS...]\n"
                "\n"
                "Move Docker's data root onto a dedicated volume, and manage that volume.\n"
                "\n"
                "Commands:\n",
                program_invocation_short_name);
        for (size_t i = 0; i < _CMD_MAX; i++) {
                char left[64];

                snprintf(left, sizeof(left), "  %s%s%s", cli_verbs[i].name, isempty(cli_verbs[i].args) ? "" : " ",
                         cli_verbs[i].args);
                if (strlen(left) < 27)
                        fprintf(f, "%-27s%s\n", left, cli_verbs[i].summary);
                else
                        fprintf(f, "%s\n%27s%s\n", left, "", cli_verbs[i].summary);
        }
        fprintf(f, "\nOptions:\n");
        for (size_t i = 0; i < _OPT_MAX; i++)
                print_option(f, cli_options + i);
        fprintf(f, "\n"
                "'%s COMMAND --help' shows what each command takes.\n"
                "\n"
                "Exit status: 0 success, 1 failure, 2 usage, 3 refused as unsafe (nothing changed),\n"
                "4 failed and rolled back, 5 failed and not rolled back (see the message).\n"
                "\n"
                "Installed as a Docker CLI plugin, the same commands run as 'docker relocate ...'.\n"
                "Without a terminal, log lines and move steps also go to the systemd journal.\n"
                "See docker-relocate(8) for details.\n",
                program_invocation_short_name);
}

/* One command's usage, and only the options it takes: its own, then the
 * general ones. */
static void help_verb(FILE *f, const Verb *v) {
        unsigned bit = 1U << (v - cli_verbs);

        fprintf(f, "Usage: %s [OPTIONS...] %s%s%s\n\n%s.\n", program_invocation_short_name, v->name,
                isempty(v->usage) ? "" : " ", v->usage, v->summary);
        if (!isempty(v->usage) && strstr(v->usage, "--"))
                fprintf(f, "\nOptions:\n");
        for (size_t i = 0; i < _OPT_MAX; i++)
                if ((cli_options[i].commands & bit) && !cli_options[i].general)
                        print_option(f, cli_options + i);
        fprintf(f, "\nGeneral options:\n");
        for (size_t i = 0; i < _OPT_MAX; i++)
                if ((cli_options[i].commands & bit) && cli_options[i].general)
                        print_option(f, cli_options + i);
        fprintf(f, "\nSee docker-relocate(8) for details.\n");
}

/* --help (of the command the line names, or of the program) and
 * --version: the text on stdout; with --json, in the one object, as its
 * "help" or "version" (the version alone), which run() prints as it does
 * every command's report. Returns 0, or -ENOMEM after reporting. */
static int help_or_version(bool want_help) {
        _cleanup_json_ cJSON *j = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size;
        FILE *f;

        if (!arg_options.json) {
                if (!want_help)
                        printf("%s %s\n", PROGRAM_NAME, PROGRAM_VERSION);
                else if (arg_verb)
                        help_verb(stdout, arg_verb);
                else
                        help(stdout);
                return 0;
        }
        if (want_help) {
                f = open_memstream(&text, &size);
                if (!f) {
                        (void) cmd_oom();
                        return -ENOMEM;
                }
                if (arg_verb)
                        help_verb(f, arg_verb);
                else
                        help(f);
                if (fclose(f) != 0 || !text) {
                        (void) cmd_oom();
                        return -ENOMEM;
                }
        }
        j = cJSON_CreateObject();
        if (!j || !cJSON_AddStringToObject(j, want_help ? "help" : "version", want_help ? text : PROGRAM_VERSION)) {
                (void) cmd_oom();
                return -ENOMEM;
        }
        cmd_set_report(TAKE_PTR(j));
        return 0;
}

static int parse_long(const char *s, long *ret) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* --root names the tree of a system: an existing directory with /etc. A
 * typo would otherwise read as a host without any configuration (status
 * reports the defaults) or make set-data-root write a new tree there. */
static int check_root(const char *root) {
        _cleanup_free_ char *etc = NULL;
        struct stat st;

        if (stat(root, &st) < 0)
                return cmd_fail(EXIT_USAGE, errno, "--root %s: %m. It names the root of a system tree (an image).",
                                root);
        if (!S_ISDIR(st.st_mode))
                return cmd_fail(EXIT_USAGE, 0, "--root %s is not a directory. It names the root of a system tree.",
                                root);
        if (asprintf(&etc, "%s/etc", root) < 0)
                return cmd_oom();
        if (stat(etc, &st) < 0 || !S_ISDIR(st.st_mode))
                return cmd_fail(EXIT_USAGE, 0,
                                "--root %s does not look like the root of a system: it has no /etc directory.", root);
        arg_options.root = root;
        return EXIT_OK;
}

/* The value of an option with an argument, once checked. */
static int apply_value(OptionId id, const char *value) {
        Options *o = &arg_options;

        switch (id) {
        case OPT_ROOT:
        case OPT_MOUNT:
        case OPT_TO:
        case OPT_CONTAINERD_ROOT:
                if (value[0] != '/')
                        return cmd_fail(EXIT_USAGE, 0, "--%s takes an absolute path: %s", cli_options[id].name, value);
                if (id == OPT_ROOT)
                        return check_root(value);
                if (id == OPT_MOUNT)
                        o->mount = value;
                else if (id == OPT_TO)
                        o->to = value;
                else
                        o->containerd_root = value;
                return 0;
        case OPT_FS:
                if (!mkfs_supported(value))
                        return cmd_fail(EXIT_USAGE, 0, "--fs takes ext4 or xfs, not '%s'.", value);
                o->fs = value;
                return 0;
        case OPT_LABEL:
                o->label = value;
                return 0;
        case OPT_WAIT_DEVICE:
                if (parse_long(value, &o->wait_device_sec) < 0)
                        return cmd_fail(EXIT_USAGE, 0, "--wait-device takes a number of seconds, not '%s'.", value);
                return 0;
        case OPT_DEVICE:
                o->device = value;
                return 0;
        case OPT_COPIER: {
                Copier c = copier_from_string(value);
                if (c < 0)
                        return cmd_fail(EXIT_USAGE, 0, "--copier takes engine or rsync, not '%s'.", value);
                o->copier = c;
                return 0;
        }
        default:
                return 0;
        }
}

static void apply_flag(OptionId id) {
        Options *o = &arg_options;

        switch (id) {
        case OPT_JSON:
                o->json = true;
                break;
        case OPT_QUIET:
                arg_quiet = true;
                break;
        case OPT_VERBOSE:
                arg_verbose = true;
                break;
        case OPT_DRY_RUN:
                o->dry_run = true;
                break;
        case OPT_YES:
                o->yes = true;
                break;
        case OPT_FORCE:
                o->force = true;
                break;
        case OPT_PARTITION:
                o->partition = true;
                break;
        case OPT_WIPE:
                o->wipe = true;
                break;
        case OPT_INSTANCE_STORE:
                o->allow_instance_store = true;
                break;
        case OPT_PRE_COPY:
        case OPT_NO_PRE_COPY:
                o->pre_copy = id == OPT_PRE_COPY;
                break;
        case OPT_DELETE_OLD:
                o->delete_old = true;
                break;
        case OPT_RESOLVED:
                o->resolved = true;
                break;
        default:
                break;
        }
}

/* What the command was given, against what it takes. Returns EXIT_OK or
 * EXIT_USAGE after reporting. */
static int check_options(const unsigned given[_OPT_MAX], const char *const values[_OPT_MAX]) {
        unsigned bit = 1U << (arg_verb - cli_verbs);
        int r;

        for (size_t i = 0; i < _OPT_MAX; i++) {
                if (!given[i])
                        continue;
                if (!(cli_options[i].commands & bit) && i == OPT_ROOT)
                        return cmd_fail(EXIT_USAGE, 0,
                                        "'%s' does not take --root: it acts on the running host. For an offline "
                                        "image, status, set-data-root and prepare take --root.",
                                        arg_verb->name);
                if (!(cli_options[i].commands & bit))
                        return cmd_fail(EXIT_USAGE, 0, "'%s' does not take --%s.", arg_verb->name,
                                        cli_options[i].name);
                /* Two values of one option: which one was meant? */
                if (cli_options[i].arg && given[i] > 1)
                        return cmd_fail(EXIT_USAGE, 0, "--%s was given %u times: give it once.", cli_options[i].name,
                                        given[i]);
                if (cli_options[i].arg && isempty(values[i]))
                        return cmd_fail(EXIT_USAGE, 0, "--%s needs a value, not an empty string.",
                                        cli_options[i].name);
                r = cli_options[i].arg ? apply_value(i, values[i]) : EXIT_OK;
                if (r != EXIT_OK)
                        return r;
                apply_flag(i);
        }
        if (given[OPT_PRE_COPY] && given[OPT_NO_PRE_COPY])
                return cmd_fail(EXIT_USAGE, 0, "--pre-copy and --no-pre-copy contradict each other.");
        /* The filesystem's own limit, checked before any disk is looked at. */
        if (arg_options.label && mkfs_label_valid(arg_options.fs ?: DEFAULT_FSTYPE, arg_options.label) < 0)
                return cmd_fail(EXIT_USAGE, 0, "--label '%s' is not a valid %s label: at most %d plain characters.",
                                arg_options.label, arg_options.fs ?: DEFAULT_FSTYPE,
                                streq(arg_options.fs ?: DEFAULT_FSTYPE, "xfs") ? 12 : 16);
        for (int i = 0; i < arg_options.n_args; i++)
                if (isempty(arg_options.args[i]))
                        return cmd_fail(EXIT_USAGE, 0, "'%s' takes no empty argument.", arg_verb->name);
        if (arg_options.n_args < arg_verb->min_args || arg_options.n_args > arg_verb->max_args) {
                if (arg_verb->min_args == arg_verb->max_args)
                        return cmd_fail(EXIT_USAGE, 0, "'%s' takes %d argument%s.", arg_verb->name, arg_verb->min_args,
                                        arg_verb->min_args == 1 ? "" : "s");
                return cmd_fail(EXIT_USAGE, 0, "'%s' takes %d to %d arguments.", arg_verb->name, arg_verb->min_args,
                                arg_verb->max_args);
        }
        return EXIT_OK;
}

/* What the result object needs to know even of a command line that does
 * not parse: the command it names (the first word that is no option nor an
 * option's value), and whether it asks for --json and --dry-run. */
static void scan_argv(int argc, char *argv[], bool *ret_dry_run) {
        bool dry_run = false, positional = false;

        for (int i = 1; i < argc; i++) {
                const char *w = argv[i];

                if (streq(w, "--")) {
                        if (i + 1 < argc && !positional)
                                for (size_t v = 0; !arg_verb && v < _CMD_MAX; v++)
                                        if (streq(cli_verbs[v].name, argv[i + 1]))
                                                arg_verb = cli_verbs + v;
                        break;
                }
                if (startswith(w, "--")) {
                        const char *eq = strchr(w + 2, '=');
                        const Option *o = cli_option_by_name(w + 2, eq ? (size_t) (eq - w - 2) : strlen(w + 2));

                        if (o == cli_options + OPT_JSON)
                                arg_options.json = true;
                        else if (o == cli_options + OPT_DRY_RUN)
                                dry_run = true;
                        else if (o && o->arg && !eq)
                                i++; /* its value */
                        continue;
                } else if (w[0] == '-' && w[1]) {
                        dry_run = dry_run || strchr(w + 1, 'n');
                        continue;
                }
                if (!positional)
                        for (size_t v = 0; !arg_verb && v < _CMD_MAX; v++)
                                if (streq(cli_verbs[v].name, w))
                                        arg_verb = cli_verbs + v;
                positional = true;
        }
        *ret_dry_run = dry_run;
}

static int parse_argv(int argc, char *argv[]) {
        struct option long_options[_OPT_MAX + 1] = {};
        char short_options[2 * _OPT_MAX + 2] = ":", *s = short_options + 1;
        unsigned given[_OPT_MAX] = {};
        const char *values[_OPT_MAX] = {};
        int c;

        for (size_t i = 0; i < _OPT_MAX; i++) {
                long_options[i] = (struct option){ cli_options[i].name,
                                                   cli_options[i].arg ? required_argument : no_argument, NULL,
                                                   0x100 + (int) i };
                if (cli_options[i].short_name) {
                        *s++ = cli_options[i].short_name;
                        if (cli_options[i].arg)
                                *s++ = ':';
                }
        }

        opterr = 0;
        while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) >= 0) {
                size_t i;

                if (c == '?' || c == ':') {
                        (void) cmd_fail(EXIT_USAGE, 0,
                                        c == '?' ? "Unknown option '%s'. See --help."
                                                 : "%s needs an argument. See --help.",
                                        argv[optind - 1]);
                        return -EINVAL;
                }
                for (i = 0; i < _OPT_MAX; i++)
                        if (c == 0x100 + (int) i || (cli_options[i].short_name && c == cli_options[i].short_name))
                                break;
                if (i >= _OPT_MAX)
                        return -EINVAL;
                given[i]++;
                values[i] = optarg;
        }

        arg_verb = NULL;
        for (size_t i = 0; optind < argc && i < _CMD_MAX; i++)
                if (streq(cli_verbs[i].name, argv[optind]))
                        arg_verb = cli_verbs + i;
        if (given[OPT_HELP] || given[OPT_VERSION])
                return help_or_version(given[OPT_HELP]);
        if (optind >= argc) {
                (void) cmd_fail(EXIT_USAGE, 0, "No command given. See --help.");
                return -EINVAL;
        }
        if (!arg_verb) {
                (void) cmd_fail(EXIT_USAGE, 0, "Unknown command '%s'. See --help.", argv[optind]);
                return -EINVAL;
        }
        arg_options.args = argv + optind + 1;
        arg_options.n_args = argc - optind - 1;
        if (check_options(given, values) != EXIT_OK)
                return -EINVAL;
        return 1;
}

/* The Docker CLI finds this binary as the plugin "relocate" (a link named
 * docker-relocate in a cli-plugins directory). It asks for the metadata with
 * "docker-relocate docker-cli-plugin-metadata", and runs "docker relocate
 * ARGS..." as "docker-relocate relocate ARGS...", and "docker help relocate"
 * as "docker-relocate help relocate". */
#define CLI_PLUGIN_NAME "relocate"

static int cli_plugin_metadata(void) {
        _cleanup_json_ cJSON *o = cJSON_CreateObject();

        if (!o || !cJSON_AddStringToObject(o, "SchemaVersion", "0.1.0") ||
            !cJSON_AddStringToObject(o, "Vendor", PROGRAM_NAME) ||
            !cJSON_AddStringToObject(o, "Version", PROGRAM_VERSION) ||
            !cJSON_AddStringToObject(o, "ShortDescription", "Move Docker's data root onto a dedicated volume"))
                return cmd_oom();
        return output_json(o) < 0 ? cmd_oom() : EXIT_OK;
}

static bool scanned_dry_run;

/* A SIGINT, SIGTERM or SIGHUP before a command stops at safe points of its
 * own (util/interrupt.h): the run ends as the signal ends it, but with
 * --json it owes its one object first, a failure saying why, and ends
 * with that code. */
static bool on_signal(int sig) {
        char message[64];
        OutputResult res = {
                .command = arg_verb ? arg_verb->name : NULL,
                .dry_run = arg_options.dry_run || scanned_dry_run,
                .exit_status = EXIT_FAIL,
                .message = message,
        };

        if (!arg_options.json)
                return false;
        output_json_lock();
        if (output_json_done()) {
                /* Out already: the run ends with its own status. */
                output_json_unlock();
                return true;
        }
        (void) snprintf(message, sizeof(message), "Interrupted by %s.", interrupt_signal_name(sig));
        (void) output_json_result(NULL, &res);
        _exit(EXIT_FAIL);
}

static int run(int argc, char *argv[]) {
        bool dry_run;
        int r;

        if (argc == 2 && streq(argv[1], "docker-cli-plugin-metadata"))
                return cli_plugin_metadata();
        if (argc >= 2 && (streq(argv[1], "__complete") || streq(argv[1], "__completeNoDesc"))) {
                /* The Docker CLI names the plugin first. */
                int skip = argc >= 3 && streq(argv[2], CLI_PLUGIN_NAME) ? 3 : 2;

                return cli_complete(argc - skip, argv + skip, streq(argv[1], "__complete"));
        }
        if (argc == 3 && streq(argv[1], "help") && streq(argv[2], CLI_PLUGIN_NAME)) {
                program_invocation_short_name = (char *) "docker " CLI_PLUGIN_NAME;
                help(stdout);
                return EXIT_OK;
        }
        if (argc >= 2 && streq(argv[1], CLI_PLUGIN_NAME)) {
                /* Drop the plugin name; the rest is our own command line.
                 * Help and errors then name the command the user typed. */
                argv[1] = argv[0];
                argc--;
                argv++;
                program_invocation_short_name = (char *) "docker " CLI_PLUGIN_NAME;
        }

        scan_argv(argc, argv, &dry_run);
        scanned_dry_run = dry_run;
        r = parse_argv(argc, argv);
        if (r == 0 && !arg_options.json)
                return EXIT_OK; /* --help, --version: printed */
        if (r > 0) {
                log_set_max_level(arg_verbose ? LOG_LEVEL_DEBUG : arg_quiet ? LOG_LEVEL_ERR : LOG_LEVEL_INFO);
                output_set_quiet(arg_quiet);
                output_set_json(arg_options.json);
                r = interrupt_setup(on_signal);
                if (r < 0)
                        r = cmd_fail(EXIT_FAIL, r, "Cannot take over SIGINT and SIGTERM: %m");
                else
                        r = arg_verb->run(&arg_options);
        } else if (r == 0)
                r = EXIT_OK; /* --help, --version: in the object */
        else
                r = r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;

        /* With --json, stdout carries one object, whatever happened, --help
         * and --version too: the command's report in the envelope of the
         * contract, with the exit status as its code. */
        if (r < 0)
                r = EXIT_FAIL;
        if (arg_options.json && !output_json_done()) {
                OutputResult res = {
                        .command = arg_verb ? arg_verb->name : NULL,
                        .dry_run = arg_options.dry_run || dry_run,
                        .exit_status = r,
                        .message = cmd_failure(),
                };
                if (output_json_result(cmd_take_report(), &res) < 0)
                        return EXIT_FAIL;
        }
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAIL : r;
}
