/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The offset of the first byte of s[0..n) that does not start a valid UTF-8
 * sequence (overlong forms, surrogates and code points above U+10FFFF are
 * invalid, as for Go and systemd), or n when all of it is valid. */
size_t utf8_first_invalid(const char *s, size_t n);

/* The offset of the first ASCII control character (0x00-0x1f, 0x7f) of
 * s[0..n) that is not in allowed, or n. */
size_t first_control_char(const char *s, size_t n, const char *allowed);

/* A name for a byte in messages: "TAB", "CR (carriage return)", "NUL",
 * "byte 0x01". buf must hold 32 bytes; returns it or a constant. */
const char *byte_name(unsigned char c, char buf[static 32]);

/* s with control characters, backslashes and bytes that are not UTF-8
 * written as C escapes (\r, \t, \x01), for quoting a value in a message. */
char *cescape(const char *s);
