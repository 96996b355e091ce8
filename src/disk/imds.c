/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "disk/ebs.h"
#include "disk/imds.h"
#include "util/curl-util.h"
#include "util/macro.h"
#include "util/process.h"
#include "util/strv.h"

/* The answers read here are a few short lines. */
#define IMDS_MAX_ANSWER (64U * 1024U)
/* The token serves the few requests of one exchange. */
#define IMDS_TOKEN_TTL_SEC "60"
/* A listing of keys ("ami", "ebs1", "ephemeral0", "root"); under each key
 * the EC2 device name it maps ("sdb"). */
#define MAPPING_PATH "/latest/meta-data/block-device-mapping/"

typedef struct Imds {
        CURL *curl;
        char *endpoint;              /* without a trailing '/' */
        char *token;                 /* IMDSv2's; NULL: IMDSv1 */
        unsigned long long deadline; /* now_ms() at which the exchange gives up */
} Imds;

/* What the one exchange of this process got (imds_is_instance_store()). */
static struct {
        bool asked;
        int error;    /* why it failed, or 0 */
        char **names; /* the instance-store volumes' EC2 names, normalised */
} cached;

static void imds_done(Imds *m) {
        if (m->curl)
                curl_easy_cleanup(m->curl);
        free(m->endpoint);
        free(m->token);
}

static char *strip(char *s) {
        size_t n;

        s += strspn(s, " \t\r\n");
        n = strlen(s);
        while (n > 0 && strchr(" \t\r\n", s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* One request, in what is left of the exchange's time: the token (PUT) or a
 * GET with it. *ret_status is the HTTP status; *ret_body the answer, on a
 * 200 only (NULL otherwise). */
static int imds_request(Imds *m, const char *method, const char *path, long *ret_status, char **ret_body) {
        _cleanup_free_ char *url = NULL, *header = NULL;
        struct curl_slist *headers = NULL;
        CurlAnswer a = { .max = IMDS_MAX_ANSWER };
        unsigned long long now = now_ms();
        bool put = streq(method, "PUT");
        unsigned left;
        long status = 0;
        CURLcode c;
        int r = 0;

        if (now >= m->deadline)
                return -ETIMEDOUT;
        left = (unsigned) (m->deadline - now);
        if (asprintf(&url, "%s%s", m->endpoint, path) < 0)
                return -ENOMEM;
        if (put)
                r = asprintf(&header, "X-aws-ec2-metadata-token-ttl-seconds: %s", IMDS_TOKEN_TTL_SEC);
        else if (m->token)
                r = asprintf(&header, "X-aws-ec2-metadata-token: %s", m->token);
        if (r < 0)
                return -ENOMEM;

        curl_util_setup(m->curl, url, left < IMDS_CONNECT_TIMEOUT_MS ? left : IMDS_CONNECT_TIMEOUT_MS, left, &a);
        /* The service is the instance's own, on a link-local address: a
         * proxy from the environment can neither reach it nor be given the
         * token. */
        (void) curl_easy_setopt(m->curl, CURLOPT_NOPROXY, "*");
        if (put)
                (void) curl_easy_setopt(m->curl, CURLOPT_CUSTOMREQUEST, "PUT");
        if (header) {
                headers = curl_slist_append(NULL, header);
                if (!headers)
                        return -ENOMEM;
                (void) curl_easy_setopt(m->curl, CURLOPT_HTTPHEADER, headers);
        }

        c = curl_easy_perform(m->curl);
        curl_slist_free_all(headers);
        if (c != CURLE_OK) {
                free(a.data);
                return curl_util_errno(m->curl, c);
        }
        (void) curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200)
                a.data = mfree(a.data);
        else if (!a.data && !(a.data = strdup("")))
                return -ENOMEM;
        *ret_status = status;
        *ret_body = a.data;
        return 0;
}

static int imds_get(Imds *m, const char *path, char **ret) {
        _cleanup_free_ char *body = NULL;
        long status;
        int r;

        r = imds_request(m, "GET", path, &status, &body);
        if (r < 0)
                return r;
        if (status != 200)
                return curl_util_http_errno(status);
        *ret = TAKE_PTR(body);
        return 0;
}

static int imds_open(Imds *m) {
        const char *e = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        _cleanup_free_ char *token = NULL;
        long status;
        size_t n;
        int r;

        if (curl_util_init() < 0)
                return -ENOMEM;
        m->deadline = now_ms() + IMDS_TIMEOUT_MS;
        m->curl = curl_easy_init();
        m->endpoint = strdup(isempty(e) ? IMDS_DEFAULT_ENDPOINT : e);
        if (!m->curl || !m->endpoint)
                return -ENOMEM;
        n = strlen(m->endpoint);
        while (n > 0 && m->endpoint[n - 1] == '/')
                m->endpoint[--n] = '\0';

        r = imds_request(m, "PUT", "/latest/api/token", &status, &token);
        if (r < 0)
                return r;
        if (status == 200) {
                if (isempty(strip(token)))
                        return -EPROTO;
                m->token = strdup(strip(token));
                return m->token ? 0 : -ENOMEM;
        }
        /* A service that offers no tokens (IMDSv1 only, an older stand-in):
         * the SDKs read without one then. One that does not answer at all
         * is not asked again without: that would only double the wait. */
        if (status == 403 || status == 404 || status == 405)
                return 0;
        return curl_util_http_errno(status);
}

/* "ephemeral" and a number: an instance-store volume's key (beside "ami",
 * "root", "ebs1", ...). */
static bool key_is_ephemeral(const char *key) {
        const char *n = startswith(key, "ephemeral");
        return n && *n && strspn(n, "0123456789") == strlen(n);
}

static int imds_read_instance_store(char ***ret_names) {
        _cleanup_(imds_done) Imds m = {};
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *listing = NULL;
        char *save = NULL;
        const char *off = getenv("AWS_EC2_METADATA_DISABLED");
        int r;

        if (off && strcasecmp(off, "true") == 0)
                return -ECANCELED;
        r = imds_open(&m);
        if (r < 0)
                return r;
        r = imds_get(&m, MAPPING_PATH, &listing);
        if (r < 0)
                return r;
        for (char *key = strtok_r(listing, " \t\r\n", &save); key; key = strtok_r(NULL, " \t\r\n", &save)) {
                _cleanup_free_ char *path = NULL, *value = NULL;
                char *name;

                if (!key_is_ephemeral(key))
                        continue;
                if (asprintf(&path, MAPPING_PATH "%s", key) < 0)
                        return -ENOMEM;
                r = imds_get(&m, path, &value);
                if (r < 0)
                        return r;
                /* "sdb" as documented; "/dev/sdb" and "xvdb" mean the same. */
                if (ec2_name_normalize(strip(value), &name) < 0)
                        return -EPROTO;
                r = strv_consume(&names, name);
                if (r < 0)
                        return r;
        }
        *ret_names = TAKE_PTR(names);
        return 0;
}

int imds_is_instance_store(const char *name) {
        _cleanup_free_ char *n = NULL;
        int r;

        r = ec2_name_normalize(name, &n);
        if (r < 0)
                return r;
        if (!cached.asked) {
                cached.error = imds_read_instance_store(&cached.names);
                cached.asked = true;
        }
        if (cached.error < 0)
                return cached.error;
        return strv_contains(cached.names, n);
}

void imds_forget(void) {
        cached.names = strv_free(cached.names);
        cached.error = 0;
        cached.asked = false;
}
