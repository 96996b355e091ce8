/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "cmd/cli.h"
#include "util/macro.h"

#define C(c) (1U << CMD_##c)
#define DISK (C(PREPARE) | C(MOVE))

const Verb cli_verbs[_CMD_MAX] = {
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

const Option cli_options[_OPT_MAX] = {
        [OPT_HELP] = { "help", 'h', NULL, CLI_ALL_COMMANDS, true, "Show this help" },
        [OPT_VERSION] = { "version", 0, NULL, CLI_ALL_COMMANDS, true, "Show the version" },
        [OPT_ROOT] = { "root", 0, "SYSROOT", C(STATUS) | C(PREPARE) | C(SET_DATA_ROOT), true,
                       "Act on the configuration under SYSROOT (an offline image)" },
        [OPT_JSON] = { "json", 0, NULL, CLI_ALL_COMMANDS, true, "Print one JSON object with the result on stdout" },
        [OPT_QUIET] = { "quiet", 'q', NULL, CLI_ALL_COMMANDS, true, "Print only errors" },
        [OPT_VERBOSE] = { "verbose", 'v', NULL, CLI_ALL_COMMANDS, true, "Print debugging output" },
        [OPT_DRY_RUN] = { "dry-run", 'n', NULL, CLI_ALL_COMMANDS & ~(C(STATUS) | C(DISKS)), false,
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

const Option *cli_option_by_name(const char *name, size_t len) {
        const Option *prefix_of = NULL;
        size_t n = 0;

        for (size_t i = 0; i < _OPT_MAX; i++) {
                if (!strneq(cli_options[i].name, name, len))
                        continue;
                if (strlen(cli_options[i].name) == len)
                        return cli_options + i;
                prefix_of = cli_options + i;
                n++;
        }
        /* As getopt_long() takes them: an abbreviation of exactly one. */
        return len > 0 && n == 1 ? prefix_of : NULL;
}
