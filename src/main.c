/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd-util.h"
#include "cmd/cmd.h"
#include "config.h"
#include "copy/copy.h"
#include "disk/blockdev.h"
#include "disk/mkfs.h"
#include "disk/prepare.h"
#include "output/output.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/strv.h"

typedef enum Command {
        CMD_STATUS,
        CMD_DISKS,
        CMD_PREPARE,
        CMD_MOVE,
        CMD_SET_DATA_ROOT,
        CMD_ROLLBACK,
        CMD_CLEANUP,
        CMD_GROW,
        _CMD_MAX,
} Command;

#define C(c) (1U << CMD_##c)
#define ALL ((1U << _CMD_MAX) - 1)
#define DISK (C(PREPARE) | C(MOVE))

typedef struct Verb {
        const char *name;
        const char *args;  /* in the list of commands */
        const char *usage; /* the command's own options, as in the man page's SYNOPSIS */
        const char *summary;
        int min_args, max_args;
        int (*run)(const Options *o);
} Verb;

static const Verb verbs[_CMD_MAX] = {
        [CMD_STATUS] = { "status", "", "", "Show where Docker's data root is configured, and any conflict", 0, 0,
                         verb_status },
        [CMD_DISKS] = { "disks", "", "", "List block devices and whether each may take the data root", 0, 0,
                        verb_disks },
        [CMD_PREPARE] = { "prepare", "DEVICE --mount DIR",
                          "DEVICE --mount DIR [--fs ext4|xfs] [--label LABEL] [--partition] [--wipe] "
                          "[--allow-instance-store] [--wait-device SECONDS] [--dry-run]",
                          "Partition (optional), format, mount and persist a volume", 1, 1, verb_prepare },
        [CMD_MOVE] = { "move", "--device DEVICE | --to DIR",
                       "(--device DEVICE [--mount DIR] [--fs ext4|xfs] [--label LABEL] [--partition] [--wipe] "
                       "[--allow-instance-store] [--wait-device SECONDS] | --to DIR) [--pre-copy|--no-pre-copy] "
                       "[--copier engine|rsync] [--delete-old] [--force] [--dry-run] [--yes]",
                       "Move the data root (and containerd's, if it holds the images), verified", 0, 0,
                       verb_move },
        [CMD_SET_DATA_ROOT] = { "set-data-root", "DIR", "DIR [--containerd-root DIR] [--dry-run]",
                                "Point Docker (and containerd) at DIR; no data is moved", 1, 1,
                                verb_set_data_root },
        [CMD_ROLLBACK] = { "rollback", "", "[--dry-run] [--yes | --resolved]", "Undo the last move", 0, 0,
                           verb_rollback },
        [CMD_CLEANUP] = { "cleanup", "", "[--dry-run] [--yes]", "Remove the old data root after a verified move", 0, 0,
                          verb_cleanup },
        [CMD_GROW] = { "grow", "[DIR|DEVICE]", "[DIR|DEVICE] [--dry-run]",
                       "Grow partition and filesystem after the volume was enlarged", 0, 1, verb_grow },
};

typedef enum OptionId {
        OPT_HELP,
        OPT_VERSION,
        OPT_ROOT,
        OPT_JSON,
        OPT_QUIET,
        OPT_VERBOSE,
        OPT_DRY_RUN,
        OPT_YES,
        OPT_FORCE,
        OPT_DEVICE,
        OPT_MOUNT,
        OPT_FS,
        OPT_LABEL,
        OPT_PARTITION,
        OPT_WIPE,
        OPT_INSTANCE_STORE,
        OPT_WAIT_DEVICE,
        OPT_TO,
        OPT_PRE_COPY,
        OPT_NO_PRE_COPY,
        OPT_COPIER,
        OPT_DELETE_OLD,
        OPT_RESOLVED,
        OPT_CONTAINERD_ROOT,
        _OPT_MAX,
} OptionId;

/* Every option, once: getopt's table, the check that a command takes what
 * it was given, and every --help derive from this. An option a command does
 * not take is a usage error rather than silently ignored (a "--wipe" that
 * does nothing is worse than an error). */
typedef struct Option {
        const char *name;
        char short_name;   /* 0: none */
        const char *arg;   /* the argument's name; NULL: a flag */
        unsigned commands; /* the commands that take it */
        bool general;      /* in [OPTIONS...] before the command, not in its usage */
        const char *help;
} Option;

static const Option options[_OPT_MAX] = {
        [OPT_HELP] = { "help", 'h', NULL, ALL, true, "Show this help" },
        [OPT_VERSION] = { "version", 0, NULL, ALL, true, "Show the version" },
        [OPT_ROOT] = { "root", 0, "SYSROOT", C(STATUS) | C(PREPARE) | C(SET_DATA_ROOT), true,
                       "Act on the configuration under SYSROOT (an offline image)" },
        [OPT_JSON] = { "json", 0, NULL, ALL, true, "Print one JSON object with the result on stdout" },
        [OPT_QUIET] = { "quiet", 'q', NULL, ALL, true, "Print only errors" },
        [OPT_VERBOSE] = { "verbose", 'v', NULL, ALL, true, "Print debugging output" },
        [OPT_DRY_RUN] = { "dry-run", 'n', NULL, ALL & ~(C(STATUS) | C(DISKS)), false,
                          "Show what would be done, with diffs; change nothing" },
        [OPT_YES] = { "yes", 'y', NULL, C(MOVE) | C(ROLLBACK) | C(CLEANUP), false, "Do not ask for confirmation" },
        [OPT_FORCE] = { "force", 0, NULL, C(MOVE), false,
                        "Proceed on a swarm manager, or a drained node with another containerd client" },
        [OPT_DEVICE] = { "device", 0, "DEVICE", C(MOVE), false,
                         "Volume to move to: /dev/nvme1n1, sdf, xvdf, vol-0abc..., UUID=..., LABEL=..." },
        [OPT_MOUNT] = { "mount", 0, "DIR", DISK, false, "Where to mount the volume (move: default /mnt/docker-data)" },
        [OPT_FS] = { "fs", 0, "ext4|xfs", DISK, false, "Filesystem to create (default: ext4)" },
        [OPT_LABEL] = { "label", 0, "LABEL", DISK, false,
                        "Filesystem label (default: docker-data; ext4 16 bytes, xfs 12)" },
        [OPT_PARTITION] = { "partition", 0, NULL, DISK, false,
                            "Create one GPT partition instead of using the whole disk" },
        [OPT_WIPE] = { "wipe", 0, NULL, DISK, false, "Allow overwriting a device that holds signatures" },
        [OPT_INSTANCE_STORE] = { "allow-instance-store", 0, NULL, DISK, false,
                                 "Allow an EC2 instance-store disk (data is lost on stop)" },
        [OPT_WAIT_DEVICE] = { "wait-device", 0, "SECONDS", DISK, false,
                              "Wait up to SECONDS for the device to appear" },
        [OPT_TO] = { "to", 0, "DIR", C(MOVE), false, "Move to DIR on an already mounted filesystem" },
        [OPT_PRE_COPY] = { "pre-copy", 0, NULL, C(MOVE), false,
                           "Copy once while Docker runs, to shorten the downtime (default)" },
        [OPT_NO_PRE_COPY] = { "no-pre-copy", 0, NULL, C(MOVE), false, "Copy only while Docker is stopped" },
        [OPT_COPIER] = { "copier", 0, "engine|rsync", C(MOVE), false,
                         "What copies: the built-in engine (default) or rsync -aHAXS" },
        [OPT_DELETE_OLD] = { "delete-old", 0, NULL, C(MOVE), false, "Remove the old data root after a verified move" },
        [OPT_RESOLVED] = { "resolved", 0, NULL, C(ROLLBACK), false,
                           "After a failed rollback, Docker was put back by hand: check it, and close the record" },
        [OPT_CONTAINERD_ROOT] = { "containerd-root", 0, "DIR", C(SET_DATA_ROOT), false,
                                  "containerd's root (default, if it holds the images: beside DIR)" },
};

static Options arg_options = {
        .wait_device_sec = -1,
        .pre_copy = -1,
        .copier = -1,
};
static const Verb *arg_verb;
static bool arg_quiet;
static bool arg_verbose;

static void print_option(const Option *o) {
        char left[64];

        snprintf(left, sizeof(left), "  %c%c --%s%s%s", o->short_name ? '-' : ' ', o->short_name ?: ' ', o->name,
                 o->arg ? " " : "", strempty(o->arg));
        if (strlen(left) < 27)
                printf("%-27s%s\n", left, o->help);
        else
                printf("%s\n%27s%s\n", left, "", o->help);
}

static void help(void) {
        printf("Usage: %s [OPTIONS...] COMMAND [ARGS...]\n"
               "\n"
               "Move Docker's data root onto a dedicated volume, and manage that volume.\n"
               "\n"
               "Commands:\n",
               program_invocation_short_name);
        for (size_t i = 0; i < _CMD_MAX; i++) {
                char left[64];

                snprintf(left, sizeof(left), "  %s%s%s", verbs[i].name, isempty(verbs[i].args) ? "" : " ",
                         verbs[i].args);
                if (strlen(left) < 27)
                        printf("%-27s%s\n", left, verbs[i].summary);
                else
                        printf("%s\n%27s%s\n", left, "", verbs[i].summary);
        }
        printf("\nOptions:\n");
        for (size_t i = 0; i < _OPT_MAX; i++)
                print_option(options + i);
        printf("\n"
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
static void help_verb(const Verb *v) {
        unsigned bit = 1U << (v - verbs);

        printf("Usage: %s [OPTIONS...] %s%s%s\n\n%s.\n", program_invocation_short_name, v->name,
               isempty(v->usage) ? "" : " ", v->usage, v->summary);
        if (!isempty(v->usage) && strstr(v->usage, "--"))
                printf("\nOptions:\n");
        for (size_t i = 0; i < _OPT_MAX; i++)
                if ((options[i].commands & bit) && !options[i].general)
                        print_option(options + i);
        printf("\nGeneral options:\n");
        for (size_t i = 0; i < _OPT_MAX; i++)
                if ((options[i].commands & bit) && options[i].general)
                        print_option(options + i);
        printf("\nSee docker-relocate(8) for details.\n");
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
                        return cmd_fail(EXIT_USAGE, 0, "--%s takes an absolute path: %s", options[id].name, value);
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
        unsigned bit = 1U << (arg_verb - verbs);
        int r;

        for (size_t i = 0; i < _OPT_MAX; i++) {
                if (!given[i])
                        continue;
                if (!(options[i].commands & bit))
                        return cmd_fail(EXIT_USAGE, 0, "'%s' does not take --%s.", arg_verb->name, options[i].name);
                /* Two values of one option: which one was meant? */
                if (options[i].arg && given[i] > 1)
                        return cmd_fail(EXIT_USAGE, 0, "--%s was given %u times: give it once.", options[i].name,
                                        given[i]);
                if (options[i].arg && isempty(values[i]))
                        return cmd_fail(EXIT_USAGE, 0, "--%s needs a value, not an empty string.", options[i].name);
                r = options[i].arg ? apply_value(i, values[i]) : EXIT_OK;
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

static const Option *option_by_name(const char *name, size_t len) {
        for (size_t i = 0; i < _OPT_MAX; i++)
                if (strlen(options[i].name) == len && strneq(options[i].name, name, len))
                        return options + i;
        return NULL;
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
                                        if (streq(verbs[v].name, argv[i + 1]))
                                                arg_verb = verbs + v;
                        break;
                }
                if (startswith(w, "--")) {
                        const char *eq = strchr(w + 2, '=');
                        const Option *o = option_by_name(w + 2, eq ? (size_t) (eq - w - 2) : strlen(w + 2));

                        if (o == options + OPT_JSON)
                                arg_options.json = true;
                        else if (o == options + OPT_DRY_RUN)
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
                                if (streq(verbs[v].name, w))
                                        arg_verb = verbs + v;
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
                long_options[i] = (struct option){ options[i].name, options[i].arg ? required_argument : no_argument,
                                                   NULL, 0x100 + (int) i };
                if (options[i].short_name) {
                        *s++ = options[i].short_name;
                        if (options[i].arg)
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
                        if (c == 0x100 + (int) i || (options[i].short_name && c == options[i].short_name))
                                break;
                if (i >= _OPT_MAX)
                        return -EINVAL;
                given[i]++;
                values[i] = optarg;
        }

        arg_verb = NULL;
        for (size_t i = 0; optind < argc && i < _CMD_MAX; i++)
                if (streq(verbs[i].name, argv[optind]))
                        arg_verb = verbs + i;
        if (given[OPT_HELP]) {
                if (arg_verb)
                        help_verb(arg_verb);
                else
                        help();
                return 0;
        }
        if (given[OPT_VERSION]) {
                printf("%s %s\n", PROGRAM_NAME, PROGRAM_VERSION);
                return 0;
        }
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

/* cobra's completion protocol, which the Docker CLI speaks to a plugin
 * for "docker relocate <TAB>" (it runs "docker-relocate __complete relocate
 * ARGS... WORD"): the candidates for WORD after ARGS, one a line with its
 * description after a tab, then ":DIRECTIVE" (what the shell does besides:
 * 4 offer no files, 16 offer directories). From the tables above, so that it
 * offers what the parser takes. */
enum {
        COMPLETE_NO_FILES = 4,
        COMPLETE_DIRS = 16,
};

static bool complete_descriptions = true;

static void candidate(const char *word, const char *prefix, const char *description) {
        if (!startswith(word, prefix))
                return;
        if (!complete_descriptions || isempty(description))
                printf("%s\n", word);
        else
                printf("%s\t%s\n", word, description);
}

/* Block devices, with the EBS volume ids and EC2 device names the tool
 * resolves itself; never an error (completion must not fail). */
static void complete_devices(const char *prefix) {
        _cleanup_strv_free_ char **names = NULL;

        if (blockdev_list_disks(NULL, &names) < 0)
                return;
        STRV_FOREACH(n, names) {
                _cleanup_blockdev_ BlockDev *d = NULL;

                if (blockdev_load(NULL, *n, &d) < 0 || d->size == 0)
                        continue;
                candidate(d->node, prefix, d->model);
                if (d->volume_id)
                        candidate(d->volume_id, prefix, d->node);
                if (d->ec2_name)
                        candidate(d->ec2_name, prefix, d->node);
        }
}

static const Option *option_of_word(const char *w) {
        if (startswith(w, "--") && !strchr(w, '='))
                return option_by_name(w + 2, strlen(w + 2));
        if (w[0] == '-' && w[1] && !w[2])
                for (size_t i = 0; i < _OPT_MAX; i++)
                        if (options[i].short_name == w[1])
                                return options + i;
        return NULL;
}

static int complete(int argc, char *argv[]) {
        const char *word = argc > 0 ? argv[argc - 1] : "";
        const Verb *verb = NULL;
        const Option *value_of = NULL;
        int directive = COMPLETE_NO_FILES, nargs = 0;

        /* The words before the one to complete: the command, how many
         * arguments it has, and whether the last one wants a value. */
        for (int i = 0; i < argc - 1; i++) {
                const char *w = argv[i];
                const Option *o = option_of_word(w);

                value_of = NULL;
                if (o) {
                        value_of = o->arg ? o : NULL;
                        continue;
                }
                if (w[0] == '-')
                        continue;
                if (!verb) {
                        for (size_t v = 0; v < _CMD_MAX; v++)
                                if (streq(verbs[v].name, w))
                                        verb = verbs + v;
                        continue;
                }
                nargs++;
        }

        if (value_of == options + OPT_FS) {
                candidate("ext4", word, NULL);
                candidate("xfs", word, NULL);
        } else if (value_of == options + OPT_COPIER) {
                for (Copier c = 0; c < _COPIER_MAX; c++)
                        candidate(copier_to_string(c), word, NULL);
        } else if (value_of == options + OPT_DEVICE)
                complete_devices(word);
        else if (value_of == options + OPT_MOUNT || value_of == options + OPT_TO || value_of == options + OPT_ROOT ||
                 value_of == options + OPT_CONTAINERD_ROOT)
                directive = COMPLETE_DIRS;
        else if (value_of)
                ; /* a label, seconds: nothing to offer */
        else if (word[0] == '-') {
                unsigned mask = verb ? 1U << (verb - verbs) : ALL;

                for (size_t i = 0; i < _OPT_MAX; i++) {
                        _cleanup_free_ char *name = NULL;

                        /* Before the command, only the general options. */
                        if (!(options[i].commands & mask) || (!verb && !options[i].general))
                                continue;
                        if (verb && options + i == options + OPT_VERSION)
                                continue;
                        if (asprintf(&name, "--%s", options[i].name) < 0)
                                return EXIT_FAIL;
                        candidate(name, word, options[i].help);
                }
        } else if (!verb)
                for (size_t v = 0; v < _CMD_MAX; v++)
                        candidate(verbs[v].name, word, verbs[v].summary);
        else if (nargs < verb->max_args) {
                if (verb == verbs + CMD_PREPARE)
                        complete_devices(word);
                else
                        directive = COMPLETE_DIRS;
        }
        printf(":%d\n", directive);
        fprintf(stderr, "Completion ended with directive: %d\n", directive);
        return EXIT_OK;
}

static int run(int argc, char *argv[]) {
        bool dry_run;
        int r;

        if (argc == 2 && streq(argv[1], "docker-cli-plugin-metadata"))
                return cli_plugin_metadata();
        if (argc >= 2 && (streq(argv[1], "__complete") || streq(argv[1], "__completeNoDesc"))) {
                /* The Docker CLI names the plugin first. */
                int skip = argc >= 3 && streq(argv[2], CLI_PLUGIN_NAME) ? 3 : 2;

                complete_descriptions = streq(argv[1], "__complete");
                return complete(argc - skip, argv + skip);
        }
        if (argc == 3 && streq(argv[1], "help") && streq(argv[2], CLI_PLUGIN_NAME)) {
                program_invocation_short_name = (char *) "docker " CLI_PLUGIN_NAME;
                help();
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
        r = parse_argv(argc, argv);
        if (r == 0)
                return EXIT_OK; /* --help, --version */
        if (r > 0) {
                log_set_max_level(arg_verbose ? LOG_LEVEL_DEBUG : arg_quiet ? LOG_LEVEL_ERR : LOG_LEVEL_INFO);
                output_set_quiet(arg_quiet);
                output_set_json(arg_options.json);
                r = arg_verb->run(&arg_options);
        } else
                r = EXIT_USAGE;

        /* With --json, stdout carries one object, whatever happened (but
         * --help and --version, which print text): the command's report in
         * the envelope of the contract, with the exit status as its code. */
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
