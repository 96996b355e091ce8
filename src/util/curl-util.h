/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>

/* What the program's libcurl clients share (the Engine API on dockerd's
 * socket, the EC2 instance metadata): libcurl's global set-up, done once; the
 * options every request takes; the answer kept in memory, up to a bound;
 * libcurl's failures as negative errno values. */

typedef struct CurlAnswer {
        char *data;     /* NUL-terminated; NULL while nothing came */
        size_t size;
        size_t max;     /* an answer larger than this fails the transfer */
        bool too_large; /* ... and this says why */
} CurlAnswer;

/* curl_global_init(), once a process: 0, or -ENOMEM. */
int curl_util_init(void);

/* Resets c and sets what every request here takes: url, plain HTTP only, no
 * signals, the connect timeout and the timeout of the whole request, the
 * answer gathered into a (whose max the caller sets). */
void curl_util_setup(CURL *c, const char *url, unsigned connect_timeout_ms, unsigned timeout_ms, CurlAnswer *a);

/* A curl_easy_perform() on c that returned code, as a negative errno: the
 * system's own error where libcurl kept one (-ENOENT: no socket file,
 * -ECONNREFUSED), -ETIMEDOUT, -ENOMEM, -EFBIG for an answer over its bound,
 * -EPROTO for anything else. */
int curl_util_errno(CURL *c, CURLcode code);

/* An HTTP status other than success, as a negative errno: -EACCES (401,
 * 403: refused, an authorization plugin of the Engine, a token the
 * metadata service did not take), -ENOENT (404), -EBUSY (409: a conflict),
 * -EIO (5xx: the server failed), -EPROTO for anything else. */
int curl_util_http_errno(long status);
