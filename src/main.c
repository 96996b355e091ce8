/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "config.h"
#include "output/output.h"
#include "util/json-util.h"
#include "util/log.h"
#include "util/macro.h"

static Options arg_options = {
        .wait_device_sec = -1,
        .pre_copy = -1,
};
static bool arg_quiet;
static bool arg_verbose;

/* Which options each verb takes; anything else is a usage error rather than
 * silently ignored (a "--wipe" that does nothing is worse than an error). */
enum {
        OPT_ROOT = 1 << 0,
        OPT_JSON = 1 << 1,
        OPT_DRY_RUN = 1 << 2,
        OPT_YES = 1 << 3,
        OPT_FORCE = 1 << 4,
        OPT_DEVICE = 1 << 5,
        OPT_MOUNT = 1 << 6,
        OPT_FS = 1 << 7,
        OPT_LABEL = 1 << 8,
        OPT_PARTITION = 1 << 9,
        OPT_WIPE = 1 << 10,
        OPT_INSTANCE_STORE = 1 << 11,
        OPT_WAIT_DEVICE = 1 << 12,
        OPT_TO = 1 << 13,
        OPT_PRE_COPY = 1 << 14,
        OPT_DELETE_OLD = 1 << 15,
};

#define OPT_DISK (OPT_MOUNT | OPT_FS | OPT_LABEL | OPT_PARTITION | OPT_WIPE | OPT_INSTANCE_STORE | OPT_WAIT_DEVICE)

typedef struct Verb {
        const char *name;
        int min_args, max_args;
        unsigned options;
        int (*run)(const Options *o);
} Verb;

static const Verb verbs[] = {
        { "status", 0, 0, OPT_ROOT | OPT_JSON, verb_status },
        { "disks", 0, 0, OPT_JSON, verb_disks },
        { "prepare", 1, 1, OPT_JSON | OPT_DISK | OPT_DRY_RUN | OPT_ROOT, verb_prepare },
        { "move", 0, 0,
          OPT_ROOT | OPT_JSON | OPT_DRY_RUN | OPT_YES | OPT_FORCE | OPT_DEVICE | OPT_DISK | OPT_TO | OPT_PRE_COPY |
                  OPT_DELETE_OLD,
          verb_move },
        { "set-data-root", 1, 1, OPT_ROOT | OPT_JSON | OPT_DRY_RUN, verb_set_data_root },
        { "rollback", 0, 0, OPT_ROOT | OPT_JSON | OPT_YES | OPT_DRY_RUN, verb_rollback },
        { "cleanup", 0, 0, OPT_ROOT | OPT_JSON | OPT_YES | OPT_DRY_RUN, verb_cleanup },
        { "grow", 0, 1, OPT_JSON | OPT_DRY_RUN, verb_grow },
};

static void help(void) {
        printf("Usage: %s [OPTIONS...] COMMAND [ARGS...]\n"
               "\n"
               "Move Docker's data root onto a dedicated volume, and manage that volume.\n"
               "\n"
               "Commands:\n"
               "  status                   Show where Docker's data root is configured, and any conflict\n"
               "  disks                    List block devices and whether each may take the data root\n"
               "  prepare DEVICE --mount DIR\n"
               "                           Partition (optional), format, mount and persist a volume\n"
               "  move --device DEVICE | --to DIR\n"
               "                           Move the data root: copy, rewrite config, restart, verify\n"
               "  set-data-root DIR        Point Docker's configuration at DIR (no data is moved)\n"
               "  rollback                 Undo the last move\n"
               "  cleanup                  Remove the old data root after a verified move\n"
               "  grow [DIR|DEVICE]        Grow partition and filesystem after the volume was enlarged\n"
               "\n"
               "Options:\n"
               "  -h --help                Show this help\n"
               "     --version             Show the version\n"
               "     --root SYSROOT        Act on the configuration under SYSROOT (an offline image)\n"
               "     --json                Print one JSON object with the result on stdout\n"
               "  -q --quiet               Print only errors\n"
               "  -v --verbose             Print debugging output\n"
               "  -n --dry-run             Show what would be done, with diffs; change nothing\n"
               "  -y --yes                 Do not ask for confirmation\n"
               "     --force               Proceed despite a swarm manager role\n"
               "     --device DEVICE       Volume to move to: /dev/nvme1n1, sdf, xvdf, vol-0abc..., UUID=..., LABEL=...\n"
               "     --mount DIR           Where to mount the volume (default: /mnt/docker-data)\n"
               "     --fs ext4|xfs         Filesystem to create (default: ext4)\n"
               "     --label LABEL         Filesystem label (default: docker-data)\n"
               "     --partition           Create one GPT partition instead of using the whole disk\n"
               "     --wipe                Allow overwriting a device that holds signatures\n"
               "     --allow-instance-store\n"
               "                           Allow an EC2 instance-store disk (data is lost on stop)\n"
               "     --wait-device SECONDS Wait up to SECONDS for the device to appear\n"
               "     --to DIR              Move to DIR on an already mounted filesystem\n"
               "     --pre-copy            Copy once while Docker runs, to shorten the downtime (default)\n"
               "     --no-pre-copy         Copy only while Docker is stopped\n"
               "     --delete-old          Remove the old data root after a verified move\n"
               "\n"
               "Exit status: 0 success, 1 failure, 2 usage, 3 refused as unsafe (nothing changed),\n"
               "4 failed and rolled back, 5 failed and not rolled back (see the message).\n"
               "\n"
               "Installed as a Docker CLI plugin, the same commands run as 'docker relocate ...'.\n"
               "Without a terminal, log lines and move steps also go to the systemd journal.\n"
               "See docker-relocate(8) for details.\n",
               program_invocation_short_name);
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

static int parse_argv(int argc, char *argv[], const Verb **ret_verb, unsigned *ret_given) {
        enum {
                ARG_VERSION = 0x100,
                ARG_ROOT,
                ARG_JSON,
                ARG_FORCE,
                ARG_DEVICE,
                ARG_MOUNT,
                ARG_FS,
                ARG_LABEL,
                ARG_PARTITION,
                ARG_WIPE,
                ARG_ALLOW_INSTANCE_STORE,
                ARG_WAIT_DEVICE,
                ARG_TO,
                ARG_PRE_COPY,
                ARG_NO_PRE_COPY,
                ARG_DELETE_OLD,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "root", required_argument, NULL, ARG_ROOT },
                { "json", no_argument, NULL, ARG_JSON },
                { "quiet", no_argument, NULL, 'q' },
                { "verbose", no_argument, NULL, 'v' },
                { "dry-run", no_argument, NULL, 'n' },
                { "yes", no_argument, NULL, 'y' },
                { "force", no_argument, NULL, ARG_FORCE },
                { "device", required_argument, NULL, ARG_DEVICE },
                { "mount", required_argument, NULL, ARG_MOUNT },
                { "fs", required_argument, NULL, ARG_FS },
                { "label", required_argument, NULL, ARG_LABEL },
                { "partition", no_argument, NULL, ARG_PARTITION },
                { "wipe", no_argument, NULL, ARG_WIPE },
                { "allow-instance-store", no_argument, NULL, ARG_ALLOW_INSTANCE_STORE },
                { "wait-device", required_argument, NULL, ARG_WAIT_DEVICE },
                { "to", required_argument, NULL, ARG_TO },
                { "pre-copy", no_argument, NULL, ARG_PRE_COPY },
                { "no-pre-copy", no_argument, NULL, ARG_NO_PRE_COPY },
                { "delete-old", no_argument, NULL, ARG_DELETE_OLD },
                {}
        };
        Options *o = &arg_options;
        unsigned given = 0;
        int c;

        while ((c = getopt_long(argc, argv, "hqvny", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("%s %s\n", PROGRAM_NAME, PROGRAM_VERSION);
                        return 0;
                case ARG_ROOT:
                        if (optarg[0] != '/')
                                return log_error_errno(-EINVAL, "--root takes an absolute path: %s", optarg);
                        o->root = optarg;
                        given |= OPT_ROOT;
                        break;
                case ARG_JSON:
                        o->json = true;
                        given |= OPT_JSON;
                        break;
                case 'q':
                        arg_quiet = true;
                        break;
                case 'v':
                        arg_verbose = true;
                        break;
                case 'n':
                        o->dry_run = true;
                        given |= OPT_DRY_RUN;
                        break;
                case 'y':
                        o->yes = true;
                        given |= OPT_YES;
                        break;
                case ARG_FORCE:
                        o->force = true;
                        given |= OPT_FORCE;
                        break;
                case ARG_DEVICE:
                        o->device = optarg;
                        given |= OPT_DEVICE;
                        break;
                case ARG_MOUNT:
                        if (optarg[0] != '/')
                                return log_error_errno(-EINVAL, "--mount takes an absolute path: %s", optarg);
                        o->mount = optarg;
                        given |= OPT_MOUNT;
                        break;
                case ARG_FS:
                        if (!streq(optarg, "ext4") && !streq(optarg, "xfs"))
                                return log_error_errno(-EINVAL, "--fs takes ext4 or xfs, not '%s'.", optarg);
                        o->fs = optarg;
                        given |= OPT_FS;
                        break;
                case ARG_LABEL:
                        o->label = optarg;
                        given |= OPT_LABEL;
                        break;
                case ARG_PARTITION:
                        o->partition = true;
                        given |= OPT_PARTITION;
                        break;
                case ARG_WIPE:
                        o->wipe = true;
                        given |= OPT_WIPE;
                        break;
                case ARG_ALLOW_INSTANCE_STORE:
                        o->allow_instance_store = true;
                        given |= OPT_INSTANCE_STORE;
                        break;
                case ARG_WAIT_DEVICE:
                        if (parse_long(optarg, &o->wait_device_sec) < 0)
                                return log_error_errno(-EINVAL, "--wait-device takes a number of seconds, not '%s'.",
                                                       optarg);
                        given |= OPT_WAIT_DEVICE;
                        break;
                case ARG_TO:
                        if (optarg[0] != '/')
                                return log_error_errno(-EINVAL, "--to takes an absolute path: %s", optarg);
                        o->to = optarg;
                        given |= OPT_TO;
                        break;
                case ARG_PRE_COPY:
                        o->pre_copy = 1;
                        given |= OPT_PRE_COPY;
                        break;
                case ARG_NO_PRE_COPY:
                        o->pre_copy = 0;
                        given |= OPT_PRE_COPY;
                        break;
                case ARG_DELETE_OLD:
                        o->delete_old = true;
                        given |= OPT_DELETE_OLD;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return log_error_errno(-EINVAL, "Unhandled option %d.", c);
                }
        }

        if (optind >= argc)
                return log_error_errno(-EINVAL, "No command given. See --help.");

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind])) {
                        *ret_verb = &verbs[i];
                        break;
                }
        if (!*ret_verb)
                return log_error_errno(-EINVAL, "Unknown command '%s'. See --help.", argv[optind]);

        o->args = argv + optind + 1;
        o->n_args = argc - optind - 1;
        *ret_given = given;
        return 1;
}

static const char *option_name(unsigned bit) {
        static const char *const names[] = {
                "--root", "--json", "--dry-run", "--yes", "--force", "--device", "--mount", "--fs",
                "--label", "--partition", "--wipe", "--allow-instance-store", "--wait-device", "--to",
                "--pre-copy/--no-pre-copy", "--delete-old",
        };
        for (unsigned i = 0; i < ELEMENTSOF(names); i++)
                if (bit == 1u << i)
                        return names[i];
        return "?";
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
                return log_oom();
        return output_json(o) < 0 ? log_oom() : EXIT_OK;
}

static int run(int argc, char *argv[]) {
        const Verb *verb = NULL;
        unsigned given = 0;
        int r;

        if (argc == 2 && streq(argv[1], "docker-cli-plugin-metadata"))
                return cli_plugin_metadata();
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

        r = parse_argv(argc, argv, &verb, &given);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_OK;

        log_set_max_level(arg_verbose ? LOG_LEVEL_DEBUG : arg_quiet ? LOG_LEVEL_ERR : LOG_LEVEL_INFO);
        output_set_json(arg_options.json);
        output_set_quiet(arg_quiet);

        for (unsigned bit = 1; bit <= OPT_DELETE_OLD; bit <<= 1)
                if ((given & bit) && !(verb->options & bit)) {
                        log_error("'%s' does not take %s.", verb->name, option_name(bit));
                        return EXIT_USAGE;
                }
        if (arg_options.n_args < verb->min_args || arg_options.n_args > verb->max_args) {
                if (verb->min_args == verb->max_args)
                        log_error("'%s' takes %d argument%s.", verb->name, verb->min_args,
                                  verb->min_args == 1 ? "" : "s");
                else
                        log_error("'%s' takes %d to %d arguments.", verb->name, verb->min_args, verb->max_args);
                return EXIT_USAGE;
        }

        r = verb->run(&arg_options);

        /* With --json, stdout always carries one object, failures included. */
        if (arg_options.json && !output_json_done() && r != EXIT_OK) {
                _cleanup_json_ cJSON *o = cJSON_CreateObject();
                cJSON *e;
                int code = r < 0 ? EXIT_FAIL : r;

                if (o) {
                        cJSON_AddBoolToObject(o, "changed", false);
                        cJSON_AddStringToObject(o, "status", code == EXIT_REFUSED ? "refused" : "failed");
                        e = cJSON_AddObjectToObject(o, "error");
                        if (e) {
                                cJSON_AddNumberToObject(e, "code", code);
                                cJSON_AddStringToObject(e, "message", log_last_error() ?: strerror(r < 0 ? -r : EIO));
                        }
                        (void) output_json(o);
                }
        }
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAIL : r;
}
