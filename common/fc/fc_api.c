#include "ss/fc_api.h"

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ss/json.h"

int64_t ss_fc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	ss_buf *b = ctx;

	if (b->len + n > SS_FC_API_MAX_ANSWER)
		return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
	ss_buf_add(b, p, size * n);
	return size * n;
}

int ss_fc_api_open(ss_fc_api *api, const char *sock, ss_err *err)
{
	struct curl_slist *h = NULL;

	memset(api, 0, sizeof *api);
	if (strlen(sock) >= sizeof api->sock)
		return ss_err_set(err, SS_EUSAGE, "API socket path '%s' is too long", sock);
	snprintf(api->sock, sizeof api->sock, "%s", sock);
	/* Plain HTTP over a Unix socket: none of libcurl's TLS set-up. */
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
		return ss_err_set(err, SS_ECRYPTO, "libcurl: initialisation failed");
	api->multi = curl_multi_init();
	api->easy = curl_easy_init();
	if (!api->multi || !api->easy)
		ss_oom();
	/* An empty "Expect:" keeps libcurl from waiting for a 100 Continue
	 * on larger bodies (the MMDS contents). */
	if (!(h = curl_slist_append(h, "Content-Type: application/json")) ||
	    !(h = curl_slist_append(h, "Accept: application/json")) ||
	    !(h = curl_slist_append(h, "Expect:")))
		ss_oom();
	api->headers = h;
	return SS_OK;
}

void ss_fc_api_close(ss_fc_api *api)
{
	if (api->easy)
		curl_easy_cleanup(api->easy);
	if (api->multi)
		curl_multi_cleanup(api->multi);
	curl_slist_free_all(api->headers);
	memset(api, 0, sizeof *api);
}

/* The part of an answer that can go in a one-line message. */
static void one_line(const ss_buf *b, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len && n + 1 < outlen; i++) {
		unsigned char c = b->data[i];
		if (c == '\n' || c == '\r') {
			if (n)
				break;
			continue;
		}
		out[n++] = (char)(c < 0x20 || c == 0x7f ? ' ' : c);
	}
	out[n] = 0;
}

int ss_fc_answer_error(const char *method, const char *path, long status, const void *body,
		       size_t len, ss_err *err)
{
	const char *fault = NULL;
	char text[300];
	cJSON *doc = NULL;
	ss_buf b = SS_BUF_INIT;

	if (len && ss_json_parse(body, len, &doc, NULL) == SS_OK &&
	    ss_json_string(doc, "", "fault_message", &fault, NULL) == SS_OK) {
		ss_buf_adds(&b, fault);
		one_line(&b, text, sizeof text);
		ss_buf_free(&b);
		cJSON_Delete(doc);
		return ss_err_set(err, SS_EVMM, "%s %s: HTTP %ld: %s", method, path, status, text);
	}
	cJSON_Delete(doc);
	ss_buf_add(&b, body, len);
	one_line(&b, text, sizeof text);
	ss_buf_free(&b);
	if (!text[0])
		return ss_err_set(err, SS_EVMM, "%s %s: HTTP %ld with an empty body", method, path,
				  status);
	return ss_err_set(err, SS_EVMM, "%s %s: HTTP %ld: %s", method, path, status, text);
}

int ss_fc_instance_check(const void *body, size_t len, const char *vm_id, ss_err *err)
{
	const char *state, *id;
	cJSON *doc = NULL;
	int rc;

	if ((rc = ss_json_parse(body, len, &doc, err)) ||
	    (rc = ss_json_string(doc, "", "state", &state, err)) ||
	    (rc = ss_json_string(doc, "", "id", &id, err))) {
		cJSON_Delete(doc);
		ss_err_prefix(err, "GET /: not an instance description");
		return err->code = SS_EVMM;
	}
	if (strcmp(id, vm_id) != 0)
		rc = ss_err_set(err, SS_EVMM, "GET /: instance '%.80s', not '%s'", id, vm_id);
	else if (strcmp(state, "Running") != 0)
		rc = ss_err_set(err, SS_EVMM, "GET /: the instance is '%.40s', not 'Running'",
				state);
	cJSON_Delete(doc);
	return rc;
}

static void set_request(ss_fc_api *api, const char *method, const char *path, const char *body,
			long timeout_ms, ss_fc_answer *ans)
{
	CURL *c = api->easy;
	char url[160];

	snprintf(url, sizeof url, "http://localhost%s", path);
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, api->sock);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* never an http_proxy from the environment */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, api->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &ans->body);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

int ss_fc_api_call(ss_fc_api *api, const char *method, const char *path, const char *body,
		   int64_t deadline, int watch_fd, ss_fc_api_watch_fn watch, void *ctx,
		   ss_fc_answer *ans, ss_err *err)
{
	CURLM *m = api->multi;
	CURLcode result = CURLE_OK;
	CURLMsg *msg;
	int running = 1, left, rc = SS_OK;
	int64_t remaining = deadline - ss_fc_now_us();
	bool timed_out = false;

	ans->status = 0;
	ss_buf_reset(&ans->body);
	if (remaining <= 0)
		return ss_err_set(err, SS_EVMM, "%s %s: no answer within the launch timeout", method, path);
	set_request(api, method, path, body, (long)(remaining / 1000) + 1, ans);
	if (curl_multi_add_handle(m, api->easy) != CURLM_OK)
		return ss_err_set(err, SS_EVMM, "%s %s: libcurl refused the request", method, path);
	while (running) {
		struct curl_waitfd w = { watch_fd, CURL_WAIT_POLLIN, 0 };
		int wait_ms;

		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = ss_err_set(err, SS_EVMM, "%s %s: libcurl failed", method, path);
			goto out;
		}
		if (!running)
			break;
		remaining = deadline - ss_fc_now_us();
		if (remaining <= 0) {
			timed_out = true;
			break;
		}
		wait_ms = remaining > 1000000 ? 1000 : (int)(remaining / 1000) + 1;
		if (curl_multi_poll(m, watch_fd >= 0 ? &w : NULL, watch_fd >= 0 ? 1 : 0, wait_ms,
				    NULL) != CURLM_OK) {
			rc = ss_err_set(err, SS_EVMM, "%s %s: libcurl failed", method, path);
			goto out;
		}
		if (watch && (w.revents & CURL_WAIT_POLLIN) && (rc = watch(ctx, err)))
			goto out;
	}
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE)
			result = msg->data.result;
	if (timed_out || result == CURLE_OPERATION_TIMEDOUT) {
		rc = ss_err_set(err, SS_EVMM, "%s %s: no answer within the launch timeout", method, path);
		goto out;
	}
	if (result == CURLE_WRITE_ERROR) {
		rc = ss_err_set(err, SS_EVMM, "%s %s: answer larger than %d bytes", method, path,
				SS_FC_API_MAX_ANSWER);
		goto out;
	}
	if (result != CURLE_OK) {
		rc = ss_err_set(err, SS_EVMM, "%s %s: %s", method, path, curl_easy_strerror(result));
		goto out;
	}
	curl_easy_getinfo(api->easy, CURLINFO_RESPONSE_CODE, &ans->status);
	if (ans->status < 200 || ans->status > 299)
		rc = ss_fc_answer_error(method, path, ans->status, ans->body.data,
					 ans->body.len, err);
out:
	curl_multi_remove_handle(m, api->easy);
	return rc;
}
