/* A client for Firecracker's HTTP API over its Unix socket (libcurl, one
 * kept-alive connection).
 *
 * A call waits for its answer until an absolute deadline, and meanwhile
 * also watches one descriptor of the caller's (ss-fc-launch watches a
 * signalfd, so that the VMM dying or a SIGTERM ends the wait at once
 * rather than at the deadline).
 *
 * Every failure is SS_EVMM with one line "METHOD PATH: why":
 *   HTTP 400: <fault_message>        Firecracker's error body {"fault_message": ...}
 *   HTTP 500: <first line of text>   an error that is not that JSON shape
 *   HTTP 404 with an empty body
 *   no answer within the launch timeout
 *   <libcurl's reason>               the connection failed or closed */
#ifndef SS_FC_API_H
#define SS_FC_API_H

#include <stdint.h>

#include "ss/buf.h"
#include "ss/err.h"

#define SS_FC_API_MAX_ANSWER (64 * 1024)

typedef struct ss_fc_api {
	void *multi, *easy;            /* CURLM *, CURL * */
	void *headers;                 /* struct curl_slist * */
	char sock[128];
} ss_fc_api;

typedef struct ss_fc_answer {
	long status;                   /* HTTP status, 0 when there was no answer */
	ss_buf body;
} ss_fc_answer;

/* Called when watch_fd is readable: SS_OK to keep waiting, anything else
 * to give the call up with that error. */
typedef int (*ss_fc_api_watch_fn)(void *ctx, ss_err *err);

int ss_fc_api_open(ss_fc_api *api, const char *sock, ss_err *err);
void ss_fc_api_close(ss_fc_api *api);

/* One request.  body: JSON text or NULL.  deadline: CLOCK_MONOTONIC in
 * microseconds (ss_fc_now_us).  On success (a 2xx status) the answer is in
 * *ans (free its body); otherwise ans->status says what came back. */
int ss_fc_api_call(ss_fc_api *api, const char *method, const char *path, const char *body,
		   int64_t deadline, int watch_fd, ss_fc_api_watch_fn watch, void *ctx,
		   ss_fc_answer *ans, ss_err *err);

/* What Firecracker's answers mean, apart from the transport (pure, so
 * that they can be tested and fuzzed without a socket). */
/* The SS_EVMM error for a non-2xx answer: "METHOD PATH: HTTP N: why", why
 * being the fault_message of {"fault_message": ...} or else the first
 * line of the body, control characters blanked, at most 299 bytes. */
int ss_fc_answer_error(const char *method, const char *path, long status, const void *body,
		       size_t len, ss_err *err);
/* The answer to GET / must describe instance vm_id, Running (SS_EVMM
 * "GET /: ..." otherwise). */
int ss_fc_instance_check(const void *body, size_t len, const char *vm_id, ss_err *err);

/* CLOCK_MONOTONIC in microseconds. */
int64_t ss_fc_now_us(void);

#endif
