/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                len = 2;
                cp = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                len = 3;
                cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                len = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

size_t utf8_first_invalid(const char *s, size_t n) {
        const unsigned char *u = (const unsigned char *) s;
        size_t i = 0;

        while (i < n) {
                size_t l = utf8_seq(u + i, n - i);
                if (l == 0)
                        return i;
                i += l;
        }
        return n;
}

size_t first_control_char(const char *s, size_t n, const char *allowed) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if ((c < 0x20 || c == 0x7f) && !(c != 0 && allowed && strchr(allowed, c)))
                        return i;
        }
        return n;
}

const char *byte_name(unsigned char c, char buf[static 32]) {
        switch (c) {
        case '\0':
                return "NUL";
        case '\t':
                return "TAB";
        case '\n':
                return "newline";
        case '\r':
                return "CR (carriage return)";
        case '\v':
                return "vertical tab";
        case '\f':
                return "form feed";
        case 0x1b:
                return "ESC";
        default:
                snprintf(buf, 32, "byte 0x%02x", c);
                return buf;
        }
}

char *cescape(const char *s) {
        size_t n = strlen(s), o = 0;
        char *out = malloc(n * 4 + 1);

        if (!out)
                return NULL;
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char) s[i];
                size_t l = utf8_seq((const unsigned char *) s + i, n - i);

                if (c == '\\') {
                        out[o++] = '\\';
                        out[o++] = '\\';
                } else if (c == '\t') {
                        out[o++] = '\\';
                        out[o++] = 't';
                } else if (c == '\r') {
                        out[o++] = '\\';
                        out[o++] = 'r';
                } else if (c == '\n') {
                        out[o++] = '\\';
                        out[o++] = 'n';
                } else if (c < 0x20 || c == 0x7f || l == 0) {
                        o += (size_t) sprintf(out + o, "\\x%02x", c);
                } else {
                        memcpy(out + o, s + i, l);
                        o += l;
                        i += l;
                        continue;
                }
                i++;
        }
        out[o] = '\0';
        return out;
}
