/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/daemon-json.h"
#include "util/macro.h"

void daemon_json_done(DaemonJson *j) {
        free(j->text);
        cJSON_Delete(j->root);
        for (size_t i = 0; i < j->n_members; i++)
                free(j->members[i].key);
        free(j->members);
        *j = (DaemonJson){};
}

static size_t skip_ws(const char *t, size_t i, size_t n) {
        while (i < n && strchr(" \t\r\n", t[i]))
                i++;
        return i;
}

static size_t skip_string(const char *t, size_t i, size_t n) {
        /* t[i] is the opening quote; returns one past the closing one. */
        for (i++; i < n; i++) {
                if (t[i] == '\\')
                        i++;
                else if (t[i] == '"')
                        return i + 1;
        }
        return n;
}

static size_t skip_value(const char *t, size_t i, size_t n) {
        int depth = 0;

        if (t[i] == '"')
                return skip_string(t, i, n);
        for (; i < n; i++) {
                char c = t[i];
                if (c == '"') {
                        i = skip_string(t, i, n) - 1;
                        continue;
                }
                if (c == '{' || c == '[')
                        depth++;
                else if (c == '}' || c == ']') {
                        if (depth == 0)
                                return i;
                        depth--;
                        if (depth == 0)
                                return i + 1;
                } else if (depth == 0 && (c == ',' || strchr(" \t\r\n", c)))
                        return i;
        }
        return n;
}

/* Walks the top-level object of an already validated document and records
 * where each member is. */
static int scan_members(DaemonJson *j) {
        const char *t = j->text;
        size_t n = j->size, i = skip_ws(t, j->body, n);

        if (i >= n || t[i] != '{')
                return -EMEDIUMTYPE;
        j->open = i;
        i = skip_ws(t, i + 1, n);
        while (i < n && t[i] != '}') {
                JsonMember m = {};
                size_t ke;
                cJSON *k;

                if (t[i] != '"')
                        return -EBADMSG;
                m.start = i;
                ke = skip_string(t, i, n);
                m.key_end = ke;
                /* Decode the key with cJSON so escapes are right. */
                _cleanup_free_ char *raw = strndup(t + i, ke - i);
                if (!raw)
                        return -ENOMEM;
                k = cJSON_Parse(raw);
                if (!k || !cJSON_IsString(k)) {
                        cJSON_Delete(k);
                        return -EBADMSG;
                }
                m.key = strdup(k->valuestring);
                cJSON_Delete(k);
                if (!m.key)
                        return -ENOMEM;
                i = skip_ws(t, ke, n);
                if (i >= n || t[i] != ':') {
                        free(m.key);
                        return -EBADMSG;
                }
                i = skip_ws(t, i + 1, n);
                m.value_start = i;
                m.value_end = skip_value(t, i, n);
                i = skip_ws(t, m.value_end, n);
                if (i < n && t[i] == ',')
                        i = skip_ws(t, i + 1, n);

                JsonMember *nm = realloc(j->members, (j->n_members + 1) * sizeof(JsonMember));
                if (!nm) {
                        free(m.key);
                        return -ENOMEM;
                }
                j->members = nm;
                j->members[j->n_members++] = m;
        }
        if (i >= n)
                return -EBADMSG;
        j->close = i;
        return 0;
}

/* Counts from body: a byte-order mark is no column an editor shows. */
static void offset_to_position(const char *t, size_t body, size_t off, unsigned *line, unsigned *col) {
        *line = 1;
        *col = 1;
        for (size_t i = body; i < off && t[i]; i++) {
                if (t[i] == '\n') {
                        (*line)++;
                        *col = 1;
                } else
                        (*col)++;
        }
}

int daemon_json_parse(const char *text, size_t size, DaemonJson *ret, unsigned *ret_line, unsigned *ret_column) {
        DaemonJson j = {};
        const char *end = NULL;
        int r;

        j.text = strndup(text, size);
        if (!j.text)
                return -ENOMEM;
        j.size = size;
        /* Docker Engine 23 and later skip a UTF-8 byte-order mark, so the
         * editor keeps it apart; whether the installed dockerd accepts it is
         * daemon_json_check_strict()'s question. */
        if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                j.body = 3;

        if (skip_ws(j.text, j.body, size) >= size) {
                /* An empty file: dockerd treats it as no settings. */
                *ret = j;
                return 0;
        }

        /* cJSON's require_null_terminated check misfires on a length-limited
         * buffer; check for trailing garbage ourselves. */
        j.root = cJSON_ParseWithLengthOpts(j.text + j.body, size - j.body, &end, false);
        if (j.root && end && skip_ws(j.text, end - j.text, size) < size) {
                offset_to_position(j.text, j.body, skip_ws(j.text, end - j.text, size), ret_line, ret_column);
                daemon_json_done(&j);
                return -EBADMSG;
        }
        if (!j.root) {
                const char *e = cJSON_GetErrorPtr();
                size_t off = e && e >= j.text + j.body && e <= j.text + size ? (size_t) (e - j.text) : j.body;
                offset_to_position(j.text, j.body, off, ret_line, ret_column);
                daemon_json_done(&j);
                return -EBADMSG;
        }
        if (!cJSON_IsObject(j.root)) {
                offset_to_position(j.text, j.body, skip_ws(j.text, j.body, size), ret_line, ret_column);
                daemon_json_done(&j);
                return -EMEDIUMTYPE;
        }
        r = scan_members(&j);
        if (r < 0) {
                *ret_line = *ret_column = 0;
                daemon_json_done(&j);
                return r;
        }
        *ret = j;
        return 0;
}

const JsonMember *daemon_json_member(const DaemonJson *j, const char *key) {
        for (size_t i = j->n_members; i > 0; i--)
                if (streq(j->members[i - 1].key, key))
                        return &j->members[i - 1];
        return NULL;
}

size_t daemon_json_count(const DaemonJson *j, const char *key) {
        size_t n = 0;
        for (size_t i = 0; i < j->n_members; i++)
                if (streq(j->members[i].key, key))
                        n++;
        return n;
}

char *daemon_json_get_string(const DaemonJson *j, const char *key) {
        const JsonMember *m = daemon_json_member(j, key);
        _cleanup_free_ char *raw = NULL;
        cJSON *v;
        char *s = NULL;

        if (!m)
                return NULL;
        raw = strndup(j->text + m->value_start, m->value_end - m->value_start);
        if (!raw)
                return NULL;
        v = cJSON_Parse(raw);
        if (cJSON_IsString(v))
                s = strdup(v->valuestring);
        cJSON_Delete(v);
        return s;
}

/* A piece of text edit: replace [start, end) with s. */
typedef struct Splice {
        size_t start, end;
        char *s;
} Splice;

static int splice_cmp(const void *a, const void *b) {
        const Splice *x = a, *y = b;
        return x->start < y->start ? -1 : x->start > y->start;
}

static int apply_splices(const char *text, size_t size, Splice *sp, size_t n, char **ret) {
        size_t len = size + 1, pos = 0;
        char *out, *p;

        qsort_safe(sp, n, sizeof(Splice), splice_cmp);
        for (size_t i = 0; i < n; i++)
                len += strlen(sp[i].s);
        out = p = malloc(len);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                memcpy(p, text + pos, sp[i].start - pos);
                p += sp[i].start - pos;
                p = stpcpy(p, sp[i].s);
                pos = sp[i].end;
        }
        memcpy(p, text + pos, size - pos);
        p[size - pos] = '\0';
        *ret = out;
        return 0;
}

/* The span that removing member idx must cut so that the rest stays valid
 * JSON and keeps its layout: up to the next member when a kept member
 * follows, else back to the end of the last kept member's value (taking the
 * comma with it). remove[] says which members go. */
static void member_removal_span(const DaemonJson *j, const bool *remove, size_t idx, size_t *start, size_t *end) {
        const JsonMember *m = &j->members[idx];
        bool kept_after = false;
        ssize_t kept_before = -1;

        for (size_t k = idx + 1; k < j->n_members; k++)
                if (!remove[k])
                        kept_after = true;
        for (size_t k = 0; k < idx; k++)
                if (!remove[k])
                        kept_before = (ssize_t) k;

        if (kept_after) {
                *start = m->start;
                *end = j->members[idx + 1].start;
        } else if (kept_before >= 0) {
                *start = j->members[kept_before].value_end;
                *end = m->value_end;
        } else {
                *start = m->start;
                *end = idx + 1 < j->n_members ? j->members[idx + 1].start : m->value_end;
        }
}

static char *json_string(const char *value) {
        cJSON *s = cJSON_CreateString(value);
        char *out = s ? cJSON_PrintUnformatted(s) : NULL;
        cJSON_Delete(s);
        return out;
}

static int edit(const DaemonJson *j, const char *value, char **ret_text) {
        _cleanup_free_ Splice *sp = NULL;
        _cleanup_free_ bool *remove = NULL;
        _cleanup_free_ char *quoted = NULL;
        size_t n = 0, nrem;
        ssize_t keep = -1;
        int r = 0;

        if (value) {
                quoted = json_string(value);
                if (!quoted)
                        return -ENOMEM;
        }

        if (!j->root) {
                /* Empty file: write a fresh object. */
                if (!value)
                        return (*ret_text = strdup(j->text)) ? 0 : -ENOMEM;
                return asprintf(ret_text, "%.*s{\n    \"data-root\": %s\n}\n", (int) j->body, j->text, quoted) < 0
                               ? -ENOMEM
                               : 0;
        }

        if (value) {
                /* Keep the last data-root (the one in effect), else turn the
                 * last graph into data-root; every other one goes. */
                for (size_t i = j->n_members; i > 0 && keep < 0; i--)
                        if (streq(j->members[i - 1].key, "data-root"))
                                keep = (ssize_t) (i - 1);
                for (size_t i = j->n_members; i > 0 && keep < 0; i--)
                        if (streq(j->members[i - 1].key, "graph"))
                                keep = (ssize_t) (i - 1);
        }

        remove = calloc(j->n_members + 1, sizeof(bool));
        sp = calloc(j->n_members + 2, sizeof(Splice));
        if (!remove || !sp)
                return -ENOMEM;
        for (size_t i = 0; i < j->n_members; i++)
                remove[i] = (ssize_t) i != keep &&
                            (streq(j->members[i].key, "data-root") || streq(j->members[i].key, "graph"));

        /* Removal spans first, merged where they touch or overlap. */
        for (size_t i = 0; i < j->n_members; i++) {
                size_t s, e;
                if (!remove[i])
                        continue;
                member_removal_span(j, remove, i, &s, &e);
                if (n > 0 && s <= sp[n - 1].end) {
                        if (e > sp[n - 1].end)
                                sp[n - 1].end = e;
                        if (s < sp[n - 1].start)
                                sp[n - 1].start = s;
                        continue;
                }
                sp[n++] = (Splice){ s, e, NULL };
        }
        nrem = n;
        for (size_t i = 0; i < nrem; i++) {
                sp[i].s = strdup("");
                if (!sp[i].s) {
                        r = -ENOMEM;
                        goto finish;
                }
        }

        if (keep >= 0) {
                /* Rename to data-root (a graph) and set the value; whatever
                 * lies between key and value (": ") stays. */
                const JsonMember *m = &j->members[keep];
                char *member;
                if (asprintf(&member, "\"data-root\"%.*s%s", (int) (m->value_start - m->key_end), j->text + m->key_end,
                             quoted) < 0) {
                        r = -ENOMEM;
                        goto finish;
                }
                sp[n++] = (Splice){ m->start, m->value_end, member };
        } else if (value) {
                /* Insert as the first member, indented like the current
                 * first member (or with four spaces in an empty object). */
                char *ins;
                if (j->n_members > 0) {
                        size_t first = j->members[0].start;
                        if (asprintf(&ins, "\"data-root\": %s,%.*s", quoted, (int) (first - (j->open + 1)),
                                     j->text + j->open + 1) < 0) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        sp[n++] = (Splice){ first, first, ins };
                } else {
                        if (asprintf(&ins, "{\n    \"data-root\": %s\n}", quoted) < 0) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        sp[n++] = (Splice){ j->open, j->close + 1, ins };
                }
        }

        r = apply_splices(j->text, j->size, sp, n, ret_text);
finish:
        for (size_t i = 0; i < n; i++)
                free(sp[i].s);
        return r;
}

int daemon_json_set_data_root(const DaemonJson *j, const char *value, char **ret_text) {
        return edit(j, value, ret_text);
}

int daemon_json_remove_data_root(const DaemonJson *j, char **ret_text) {
        return edit(j, NULL, ret_text);
}
