#include "ss/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ss/buf.h"
#include "ss/fc_api.h"
#include "ss/io.h"
#include "ss/jail.h"
#include "ss/json.h"
#include "ss/state.h"

extern char **environ;

/* How long a failed API call waits for the VMM's death to be reported,
 * so that the message names the cause (the process) rather than the
 * symptom (a closed connection). */
#define DEATH_GRACE_US 200000

static const int watched[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };

const char *ss_signal_name(int sig)
{
	static const struct { int sig; const char *name; } names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
		{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
		{ SIGSYS, "SIGSYS" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
	};
	static char other[24];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].sig == sig)
			return names[i].name;
	snprintf(other, sizeof other, "signal %d", sig);
	return other;
}

static const char *role(const ss_vmm *v)
{
	/* Until Firecracker's socket is there, a jailed launch may still be
	 * the jailer itself (it execs Firecracker in place). */
	return v->plan->jailed && !v->t_socket ? "jailer" : "firecracker";
}

static int block_signals(ss_vmm *v, ss_err *err)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
		sigaddset(&set, watched[i]);
	if (sigprocmask(SIG_BLOCK, &set, &v->saved_mask) < 0)
		return ss_err_errno(err, SS_EIO, "block signals");
	v->mask_saved = true;
	v->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (v->sigfd < 0)
		return ss_err_errno(err, SS_EIO, "signalfd");
	return SS_OK;
}

/* Drain the signalfd: remember the first stop signal, reap the VMM if it
 * has exited (SIGCHLDs coalesce, so always ask). */
static void take_signals(ss_vmm *v)
{
	struct signalfd_siginfo si;
	int st;

	while (read(v->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		if (si.ssi_signo != SIGCHLD && !v->signal)
			v->signal = (int)si.ssi_signo;
	if (v->pid && !v->reaped && waitpid(v->pid, &st, WNOHANG) == v->pid) {
		v->reaped = true;
		v->wstatus = st;
	}
}

static void describe_end(int wstatus, char *out, size_t n)
{
	if (WIFEXITED(wstatus))
		snprintf(out, n, "exited with status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(out, n, "was killed by %s", ss_signal_name(WTERMSIG(wstatus)));
	else
		snprintf(out, n, "ended (wait status 0x%x)", (unsigned)wstatus);
}

/* The launch ended because of a signal or the VMM's end; when says when. */
static int ended(const ss_vmm *v, const char *when, ss_err *err)
{
	char how[64];

	if (v->signal)
		return ss_err_set(err, SS_EVMM, "interrupted by %s %s", ss_signal_name(v->signal),
				  when);
	describe_end(v->wstatus, how, sizeof how);
	return ss_err_set(err, SS_EVMM, "%s %s %s", role(v), how, when);
}

static void stop(ss_vmm *v)
{
	int st;

	if (!v->pid)
		return;
	kill(-v->pid, SIGKILL);
	if (!v->reaped) {
		kill(v->pid, SIGKILL);
		while (waitpid(v->pid, &st, 0) < 0 && errno == EINTR)
			;
		v->reaped = true;
		v->wstatus = st;
	}
}

static void remove_files(ss_vmm *v)
{
	struct stat st;

	if (v->jail_made) {
		ss_jail_remove(v->plan, NULL);
		v->jail_made = false;
	} else if (!v->plan->jailed && lstat(v->plan->api_sock, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(v->plan->api_sock);
}

static int spawn(ss_vmm *v, ss_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
		sigaddset(&dfl, watched[i]);
	sigaddset(&dfl, SIGPIPE); /* the tools ignore it; the VMM must not inherit that */
	if (posix_spawn_file_actions_init(&fa) || posix_spawnattr_init(&at))
		ss_oom();
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(&v->pid, v->plan->argv[0], &fa, &at, v->plan->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc) {
		v->pid = 0;
		errno = rc;
		return ss_err_errno(err, SS_EVMM, "start %s '%s'", v->plan->jailed ? "jailer" :
				    "firecracker", v->plan->argv[0]);
	}
	v->t_spawn = ss_fc_now_us();
	return SS_OK;
}

/* 1: the socket accepts connections; 0: not yet; otherwise an error code
 * (a socket that is not the VMM's). */
static int socket_ready(const ss_vmm *v, ss_err *err)
{
	const char *path = v->plan->api_sock;
	uid_t want = v->plan->jailed ? v->plan->uid : geteuid();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ok;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return ss_err_set(err, SS_EVMM, "API socket '%s' is not a socket", path);
	if (st.st_uid != want)
		return ss_err_set(err, SS_EVMM, "API socket '%s' belongs to uid %u, not %u", path,
				  (unsigned)st.st_uid, (unsigned)want);
	if (strlen(path) >= sizeof sa.sun_path)
		return ss_err_set(err, SS_EUSAGE, "API socket '%s': path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ss_err_errno(err, SS_EIO, "socket");
	ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* Wait for the socket with inotify on its directory, so that waiting
 * costs no CPU; between bind and listen (the file there, connect refused)
 * look again every millisecond.  A missed event costs at most 100 ms. */
static int wait_socket(ss_vmm *v, int64_t deadline, ss_err *err)
{
	struct pollfd p[2] = { { v->sigfd, POLLIN, 0 }, { -1, POLLIN, 0 } };
	char dir[PATH_MAX], events[4096];
	struct stat st;
	int64_t left;
	int r, wait_ms, rc = SS_OK;

	ss_dirname(v->plan->api_sock, dir, sizeof dir);
	p[1].fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (p[1].fd >= 0 &&
	    inotify_add_watch(p[1].fd, dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
		close(p[1].fd);
		p[1].fd = -1;
	}
	for (;;) {
		take_signals(v);
		if (v->signal || v->reaped) {
			rc = ended(v, "before its API socket appeared", err);
			break;
		}
		if ((r = socket_ready(v, err)) == 1)
			break;
		if (r) {
			rc = r;
			break;
		}
		left = deadline - ss_fc_now_us();
		if (left <= 0) {
			rc = ss_err_set(err, SS_EVMM,
					"API socket '%s' did not appear within the launch timeout",
					v->plan->api_sock);
			break;
		}
		wait_ms = p[1].fd >= 0 && lstat(v->plan->api_sock, &st) < 0 ? 100 : 1;
		if (left < wait_ms * 1000LL)
			wait_ms = (int)(left / 1000) + 1;
		poll(p, p[1].fd >= 0 ? 2 : 1, wait_ms);
		if (p[1].fd >= 0)
			while (read(p[1].fd, events, sizeof events) > 0)
				;
	}
	if (p[1].fd >= 0)
		close(p[1].fd);
	if (!rc)
		v->t_socket = ss_fc_now_us();
	return rc;
}

static int watch(void *ctx, ss_err *err)
{
	ss_vmm *v = ctx;

	take_signals(v);
	if (v->signal || v->reaped)
		return ss_err_set(err, SS_EVMM, "stopped"); /* reworded by the caller */
	return SS_OK;
}

static int64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static int configure(ss_vmm *v, int64_t deadline, ss_err *err)
{
	ss_fc_answer ans = { 0, SS_BUF_INIT };
	ss_buf body = SS_BUF_INIT;
	char when[140];
	ss_fc_api api;
	int rc;

	if ((rc = ss_fc_api_open(&api, v->plan->api_sock, err)))
		return rc;
	for (size_t i = 0; i < v->plan->nreq; i++) {
		const ss_fc_request *r = &v->plan->req[i];
		bool start = r->body && strcmp(r->path, "/actions") == 0;

		snprintf(v->request, sizeof v->request, "%s %s", r->method, r->path);
		ss_buf_reset(&body);
		if (r->body)
			ss_json_write(r->body, &body);
		if (start)
			v->t_configured = ss_fc_now_us();
		rc = ss_fc_api_call(&api, r->method, r->path, r->body ? ss_buf_str(&body) : NULL,
				    deadline, v->sigfd, watch, v, &ans, err);
		if (rc && !ans.status && !v->signal && !v->reaped) {
			/* The connection failed: was it the VMM dying? */
			struct pollfd p = { v->sigfd, POLLIN, 0 };
			int64_t until = ss_fc_now_us() + DEATH_GRACE_US;
			if (until > deadline)
				until = deadline;
			while (!v->reaped && !v->signal && ss_fc_now_us() < until) {
				poll(&p, 1, 1);
				take_signals(v);
			}
		}
		if (rc) {
			v->http_status = ans.status;
			if (v->signal || v->reaped) {
				snprintf(when, sizeof when, "during %s", v->request);
				rc = ended(v, when, err);
			}
			goto out;
		}
		if (start)
			v->cpu_at_start_us = cpu_us();
		if (strcmp(r->method, "GET") == 0 && strcmp(r->path, "/") == 0 &&
		    (rc = ss_fc_instance_check(ans.body.data, ans.body.len, v->plan->vm_id, err)))
			goto out;
	}
	v->request[0] = 0;
	v->t_running = ss_fc_now_us();
out:
	ss_buf_free(&ans.body);
	ss_buf_free(&body);
	ss_fc_api_close(&api);
	return rc;
}

int ss_vmm_launch(ss_vmm *v, const ss_fc_plan *plan, int64_t timeout_ms, ss_err *err)
{
	int64_t deadline = ss_fc_now_us() + timeout_ms * 1000;
	char dir[PATH_MAX];
	struct stat st;
	int rc;

	memset(v, 0, sizeof *v);
	v->plan = plan;
	v->sigfd = -1;
	if ((rc = block_signals(v, err)))
		return rc;
	if (plan->jailed) {
		if ((rc = ss_jail_create(plan, err)))
			return rc;
		v->jail_made = true;
	} else {
		if (plan->api_sock_default) {
			ss_dirname(plan->api_sock, dir, sizeof dir);
			if ((rc = ss_private_dir(dir, err)))
				return rc;
		}
		/* A socket left there would answer in the VMM's place. */
		if (lstat(plan->api_sock, &st) == 0)
			return ss_err_set(err, SS_EIO, "API socket '%s' already exists",
					  plan->api_sock);
	}
	if ((rc = spawn(v, err)) || (rc = wait_socket(v, deadline, err)) ||
	    (rc = configure(v, deadline, err))) {
		stop(v);
		remove_files(v);
		return rc;
	}
	return SS_OK;
}

int ss_vmm_wait(ss_vmm *v, int64_t deadline, ss_vmm_exit *out, ss_err *err)
{
	struct pollfd p = { v->sigfd, POLLIN, 0 };
	char how[64];

	out->reason = "exited";
	for (;;) {
		int64_t left = deadline ? deadline - ss_fc_now_us() : -1;
		take_signals(v);
		if (v->reaped)
			break;
		if (v->signal) {
			out->reason = "interrupted";
			stop(v);
			break;
		}
		if (deadline && left <= 0) {
			out->reason = "timeout";
			stop(v);
			break;
		}
		poll(&p, 1, left < 0 ? -1 : (int)(left / 1000) + 1);
	}
	remove_files(v);
	out->code = WIFEXITED(v->wstatus) ? WEXITSTATUS(v->wstatus) : -1;
	out->signal = WIFSIGNALED(v->wstatus) ? WTERMSIG(v->wstatus) : 0;
	if (strcmp(out->reason, "interrupted") == 0)
		return ss_err_set(err, SS_EVMM, "interrupted by %s: firecracker stopped",
				  ss_signal_name(v->signal));
	if (strcmp(out->reason, "timeout") == 0)
		return ss_err_set(err, SS_EVMM,
				  "firecracker still running at the timeout: stopped");
	if (out->code == 0)
		return SS_OK;
	describe_end(v->wstatus, how, sizeof how);
	return ss_err_set(err, SS_EVMM, "firecracker %s", how);
}

void ss_vmm_abort(ss_vmm *v)
{
	stop(v);
	remove_files(v);
}

void ss_vmm_release(ss_vmm *v)
{
	if (v->sigfd >= 0) {
		take_signals(v);
		close(v->sigfd);
		v->sigfd = -1;
	}
	if (v->mask_saved) {
		sigprocmask(SIG_SETMASK, &v->saved_mask, NULL);
		v->mask_saved = false;
	}
}
