/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml-internal.h"
#include "util/macro.h"
#include "util/strv.h"

void toml_kv_done(TomlKeyValue *kv) {
        strv_free(kv->table);
        strv_free(kv->key);
        free(kv->string);
        strv_free(kv->strings);
}

void toml_doc_done(TomlDoc *d) {
        for (size_t i = 0; i < d->n; i++)
                toml_kv_done(&d->kv[i]);
        free(d->kv);
        *d = (TomlDoc){};
}

static bool same_key(const TomlKeyValue *a, const TomlKeyValue *b) {
        return strv_equal(a->table, b->table) && strv_equal(a->key, b->key);
}

int toml_parse(const char *text, size_t size, TomlDoc *ret, size_t *ret_error_offset, const char **ret_error_reason) {
        Parser p = { .t = text, .n = size };
        _cleanup_(toml_doc_done) TomlDoc d = {};
        _cleanup_strv_free_ char **table = NULL;
        /* The header the pairs follow: pairs under two [[x]] headers are
         * in different tables, however alike their names. */
        size_t section = 0, *sections = NULL;
        size_t i = 0;
        int r = 0;

        if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                i = 3;
        d.body = i;
        d.first_table = size;

        while (i < size) {
                size_t line_start = i, nl, end;

                i = skip_comment(&p, skip_ws(&p, i));
                if ((nl = newline_at(&p, i))) {
                        i += nl;
                        continue;
                }
                if (i >= size)
                        break;

                if (text[i] == '[') {
                        bool array = i + 1 < size && text[i + 1] == '[';
                        _cleanup_strv_free_ char **name = NULL;

                        if (d.first_table == size)
                                d.first_table = line_start;
                        r = toml_parse_key(&p, i + (array ? 2 : 1), &name, &end);
                        if (r < 0)
                                goto fail;
                        if (end >= size || text[end] != ']' || (array && (end + 1 >= size || text[end + 1] != ']'))) {
                                r = fail(&p, end, "a table header is not closed");
                                goto fail;
                        }
                        i = end + (array ? 2 : 1);
                        strv_free(table);
                        table = TAKE_PTR(name);
                        section++;
                } else {
                        TomlKeyValue *n, kv = { .line_start = line_start };

                        r = toml_parse_key(&p, i, &kv.key, &end);
                        if (r >= 0) {
                                i = skip_ws(&p, end);
                                if (i >= size || text[i] != '=')
                                        r = fail(&p, i, "'=' is missing after a key");
                        }
                        if (r >= 0) {
                                kv.value_start = skip_ws(&p, i + 1);
                                r = toml_parse_value(&p, kv.value_start, &kv, &kv.value_end, 0);
                        }
                        if (r >= 0 && table && !(kv.table = strv_copy(table)))
                                r = -ENOMEM;
                        if (r >= 0) {
                                for (size_t k = 0; k < d.n; k++)
                                        if (sections[k] == section && same_key(&d.kv[k], &kv)) {
                                                r = fail(&p, line_start, "a key is defined twice");
                                                break;
                                        }
                        }
                        if (r >= 0) {
                                size_t *s = realloc(sections, (d.n + 1) * sizeof(size_t));
                                if (s)
                                        sections = s;
                                n = realloc(d.kv, (d.n + 1) * sizeof(TomlKeyValue));
                                if (n)
                                        d.kv = n;
                                r = s && n ? 0 : -ENOMEM;
                        }
                        if (r < 0) {
                                toml_kv_done(&kv);
                                goto fail;
                        }
                        sections[d.n] = section;
                        d.kv[d.n++] = kv;
                        i = kv.value_end;
                }

                /* The rest of the line: blanks and a comment. */
                i = skip_comment(&p, skip_ws(&p, i));
                if (i < size && !(nl = newline_at(&p, i))) {
                        r = fail(&p, i, "unexpected text after a value");
                        goto fail;
                }
                if (i < size)
                        i += nl;
                if (d.n > 0 && d.kv[d.n - 1].line_start == line_start)
                        d.kv[d.n - 1].line_end = i;
        }

        free(sections);
        *ret = d;
        d = (TomlDoc){};
        return 0;
fail:
        free(sections);
        if (r == -EBADMSG) {
                if (ret_error_offset)
                        *ret_error_offset = p.err_off;
                if (ret_error_reason)
                        *ret_error_reason = p.err;
        }
        return r;
}

const TomlKeyValue *toml_get(const TomlDoc *d, const char *table, const char *key) {
        for (size_t i = 0; i < d->n; i++) {
                const TomlKeyValue *kv = &d->kv[i];

                if (strv_length(kv->key) != 1 || !streq(kv->key[0], key))
                        continue;
                if (!table ? kv->table == NULL : (strv_length(kv->table) == 1 && streq(kv->table[0], table)))
                        return kv;
        }
        return NULL;
}

bool toml_string_is_plain(const char *s) {
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\'' || *s == '\\')
                        return false;
        return true;
}

int toml_set_top_string(const char *text, const TomlDoc *d, const char *key, const char *value, const char *after_key,
                        char **ret_text) {
        const TomlKeyValue *kv = toml_get(d, NULL, key), *after = NULL;
        size_t size = strlen(text), pos;
        bool need_newline = false;
        char *out;

        if (!toml_string_is_plain(value))
                return -EINVAL;

        if (kv) {
                if (kv->type != TOML_STRING || !kv->plain)
                        return -EINVAL;
                /* Between the quotes, which stay as they are. */
                if (asprintf(&out, "%.*s%s%s", (int) (kv->value_start + 1), text, value, text + kv->value_end - 1) < 0)
                        return -ENOMEM;
                *ret_text = out;
                return 0;
        }

        if (after_key)
                after = toml_get(d, NULL, after_key);
        if (after)
                pos = after->line_end;
        else {
                pos = d->first_table;
                for (size_t i = 0; i < d->n; i++)
                        if (!d->kv[i].table) {
                                pos = d->kv[i].line_start;
                                break;
                        }
        }
        /* A last line without its newline gets one before ours. */
        if (pos == size && size > d->body && text[size - 1] != '\n')
                need_newline = true;
        if (asprintf(&out, "%.*s%s%s = \"%s\"\n%s", (int) pos, text, need_newline ? "\n" : "", key, value, text + pos) < 0)
                return -ENOMEM;
        *ret_text = out;
        return 0;
}
