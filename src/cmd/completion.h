/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

/* cobra's completion protocol, which the Docker CLI speaks to a plugin
 * for "docker relocate <TAB>" (it runs "docker-relocate __complete relocate
 * ARGS... WORD"): prints the candidates for WORD after ARGS, one a line with
 * its description after a tab (without, when descriptions is false, as for
 * "__completeNoDesc"), then ":DIRECTIVE" (what the shell does besides: 4
 * offer no files, 16 offer directories). argv holds ARGS... WORD, after the
 * "__complete" and the plugin's name; with argc 0 WORD is empty. From the
 * tables of cli.h, so that it offers what the parser takes. What it cannot
 * find is not offered, never an error; returns EXIT_OK, or EXIT_FAIL when
 * out of memory. */
int cli_complete(int argc, char *argv[], bool descriptions);
