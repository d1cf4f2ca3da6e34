/* Exit codes shared by every tool, and the one-line error value that library
 * calls fill in instead of printing or exiting. */
#ifndef SS_ERR_H
#define SS_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum ss_exit {
	SS_OK = 0,        /* ok, approved */
	SS_REFUSED = 1,   /* refused by a check: denied, collision, gate, bad signature, expired */
	SS_EUSAGE = 2,    /* anything wrong on the command line */
	SS_EINPUT = 3,    /* anything wrong in what was read */
	SS_ETPM = 4,      /* TPM error */
	SS_ECRYPTO = 5,   /* crypto or library error */
	SS_EIO = 6,       /* I/O or OS error */
	SS_EVMM = 7,      /* Firecracker error */
};

/* "what: why", without the program name; code is one of enum ss_exit. */
typedef struct ss_err {
	int code;
	char msg[1024];
} ss_err;

/* The program name in messages, set once by ss_prog_init() (ss/prog.h). */
extern const char *ss_prog;

/* Each setter stores the message and returns code, so callers can write
 * `return ss_err_set(err, SS_EINPUT, "...")`. */
int ss_err_set(ss_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ss_err_vset(ss_err *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* As ss_err_set, with ": strerror(errno)" appended. */
int ss_err_errno(ss_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As ss_err_set with SS_ECRYPTO, with the first OpenSSL error appended
 * (the OpenSSL error queue is cleared). */
int ss_err_ssl(ss_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Put "what: " in front of the stored message; returns err->code. */
int ss_err_prefix(ss_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "prog: msg" on stderr, one line. */
void ss_err_print(const ss_err *err);
/* "prog: warning: ..." on stderr. */
void ss_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Memory exhaustion is not recoverable in these small tools: report it and
 * exit with SS_EIO, as git's xmalloc does. */
_Noreturn void ss_oom(void);
void *ss_xmalloc(size_t n);
void *ss_xcalloc(size_t n, size_t size);
void *ss_xrealloc(void *p, size_t n);
char *ss_xstrdup(const char *s);

#endif
