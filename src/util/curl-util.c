/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/curl-util.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init_once(void) {
        curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int curl_util_init(void) {
        pthread_once(&curl_once, curl_init_once);
        return curl_init_result == CURLE_OK ? 0 : -ENOMEM;
}

static size_t write_answer(char *ptr, size_t size, size_t nmemb, void *userdata) {
        CurlAnswer *a = userdata;
        size_t n = size * nmemb;
        char *d;

        if (a->size + n > a->max) {
                a->too_large = true;
                return 0; /* makes curl fail the transfer */
        }
        d = realloc(a->data, a->size + n + 1);
        if (!d)
                return 0;
        memcpy(d + a->size, ptr, n);
        a->size += n;
        d[a->size] = '\0';
        a->data = d;
        return n;
}

void curl_util_setup(CURL *c, const char *url, unsigned connect_timeout_ms, unsigned timeout_ms, CurlAnswer *a) {
        curl_easy_reset(c);
        (void) curl_easy_setopt(c, CURLOPT_URL, url);
        (void) curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
        /* Signals are not for a library: timeouts without SIGALRM. */
        (void) curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        (void) curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) connect_timeout_ms);
        (void) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
        (void) curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_answer);
        (void) curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
}

int curl_util_errno(CURL *c, CURLcode code) {
        long os_errno = 0;

        (void) curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
        switch (code) {
        case CURLE_COULDNT_CONNECT:
                /* ENOENT: no socket file; ECONNREFUSED: a stale one, or no
                 * listener on the port. */
                return os_errno > 0 ? -(int) os_errno : -ECONNREFUSED;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
                return os_errno > 0 ? -(int) os_errno : -ECONNRESET;
        case CURLE_WRITE_ERROR:
                return -EFBIG;
        default:
                return -EPROTO;
        }
}

int curl_util_http_errno(long status) {
        switch (status) {
        case 401:
        case 403:
                return -EACCES;
        case 404:
                return -ENOENT;
        case 409:
                return -EBUSY;
        default:
                return status >= 500 ? -EIO : -EPROTO;
        }
}
