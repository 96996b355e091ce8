/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/completion.h"
#include "copy/copy.h"
#include "disk/blockdev.h"
#include "output/output.h"
#include "util/macro.h"
#include "util/strv.h"

/* The directive: what the shell does besides offering the candidates. */
enum {
        COMPLETE_NO_FILES = 4,
        COMPLETE_DIRS = 16,
};

static bool complete_descriptions;

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
                return cli_option_by_name(w + 2, strlen(w + 2));
        if (w[0] == '-' && w[1] && !w[2])
                for (size_t i = 0; i < _OPT_MAX; i++)
                        if (cli_options[i].short_name == w[1])
                                return cli_options + i;
        return NULL;
}

int cli_complete(int argc, char *argv[], bool descriptions) {
        const char *word = argc > 0 ? argv[argc - 1] : "";
        const Verb *verb = NULL;
        const Option *value_of = NULL;
        int directive = COMPLETE_NO_FILES, nargs = 0;

        complete_descriptions = descriptions;

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
                                if (streq(cli_verbs[v].name, w))
                                        verb = cli_verbs + v;
                        continue;
                }
                nargs++;
        }

        if (value_of == cli_options + OPT_FS) {
                candidate("ext4", word, NULL);
                candidate("xfs", word, NULL);
        } else if (value_of == cli_options + OPT_COPIER) {
                for (Copier c = 0; c < _COPIER_MAX; c++)
                        candidate(copier_to_string(c), word, NULL);
        } else if (value_of == cli_options + OPT_DEVICE)
                complete_devices(word);
        else if (value_of == cli_options + OPT_MOUNT || value_of == cli_options + OPT_TO ||
                 value_of == cli_options + OPT_ROOT || value_of == cli_options + OPT_CONTAINERD_ROOT)
                directive = COMPLETE_DIRS;
        else if (value_of)
                ; /* a label, seconds: nothing to offer */
        else if (word[0] == '-') {
                unsigned mask = verb ? 1U << (verb - cli_verbs) : CLI_ALL_COMMANDS;

                for (size_t i = 0; i < _OPT_MAX; i++) {
                        _cleanup_free_ char *name = NULL;

                        /* Before the command, only the general options. */
                        if (!(cli_options[i].commands & mask) || (!verb && !cli_options[i].general))
                                continue;
                        if (verb && cli_options + i == cli_options + OPT_VERSION)
                                continue;
                        if (asprintf(&name, "--%s", cli_options[i].name) < 0)
                                return EXIT_FAIL;
                        candidate(name, word, cli_options[i].help);
                }
        } else if (!verb)
                for (size_t v = 0; v < _CMD_MAX; v++)
                        candidate(cli_verbs[v].name, word, cli_verbs[v].summary);
        else if (nargs < verb->max_args) {
                if (verb == cli_verbs + CMD_PREPARE)
                        complete_devices(word);
                else
                        directive = COMPLETE_DIRS;
        }
        printf(":%d\n", directive);
        fprintf(stderr, "Completion ended with directive: %d\n", directive);
        return EXIT_OK;
}
