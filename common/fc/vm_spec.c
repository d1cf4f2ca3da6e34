#include "ss/vm_spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ss/buf.h"
#include "ss/io.h"
#include "ss/json.h"
#include "ss/yaml_json.h"

/* What each section may hold: Firecracker's API definitions (v1.16), cut
 * down to what ss-fc-launch starts and accounts for. */
enum kind { K_STRING, K_PATH, K_DEVICE_ID, K_IFNAME, K_INT, K_BOOL, K_ENUM, K_MAC,
	    K_IPV4_LINK_LOCAL, K_ID_LIST };

struct field {
	const char *name;
	enum kind kind;
	bool required;
	int64_t min, max;
	const char *const *values; /* K_ENUM */
};

static const char *const cache_types[] = { "Unsafe", "Writeback", NULL };
static const char *const io_engines[] = { "Sync", "Async", NULL };
static const char *const huge_pages[] = { "None", "2M", NULL };
static const char *const cpu_templates[] = { "C3", "T2", "T2S", "T2CL", "T2A", "V1N1", "None",
					     NULL };
static const char *const log_levels[] = { "Error", "Warning", "Info", "Debug", "Trace", "Off",
					  NULL };
static const char *const mmds_versions[] = { "V2", NULL };

#define MAX_U32 4294967295LL

static const struct field boot_source_fields[] = {
	{ "kernel_image_path", K_PATH, true, 0, 0, NULL },
	{ "boot_args", K_STRING, false, 0, 0, NULL },
	{ "initrd_path", K_PATH, false, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct field machine_config_fields[] = {
	{ "vcpu_count", K_INT, true, 1, 32, NULL },
	{ "mem_size_mib", K_INT, true, 1, SS_JSON_MAX_INT, NULL },
	{ "smt", K_BOOL, false, 0, 0, NULL },
	{ "track_dirty_pages", K_BOOL, false, 0, 0, NULL },
	{ "huge_pages", K_ENUM, false, 0, 0, huge_pages },
	{ "cpu_template", K_ENUM, false, 0, 0, cpu_templates },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct field drive_fields[] = {
	{ "drive_id", K_DEVICE_ID, true, 0, 0, NULL },
	{ "path_on_host", K_PATH, true, 0, 0, NULL },
	{ "is_root_device", K_BOOL, true, 0, 0, NULL },
	{ "is_read_only", K_BOOL, true, 0, 0, NULL },
	{ "partuuid", K_STRING, false, 0, 0, NULL },
	{ "cache_type", K_ENUM, false, 0, 0, cache_types },
	{ "io_engine", K_ENUM, false, 0, 0, io_engines },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct field iface_fields[] = {
	{ "iface_id", K_DEVICE_ID, true, 0, 0, NULL },
	{ "host_dev_name", K_IFNAME, true, 0, 0, NULL },
	{ "guest_mac", K_MAC, false, 0, 0, NULL },
	{ "mtu", K_INT, false, 68, 65535, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct field vsock_fields[] = {
	{ "guest_cid", K_INT, true, 3, MAX_U32, NULL },
	{ "uds_path", K_PATH, true, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct field logger_fields[] = {
	{ "log_path", K_PATH, false, 0, 0, NULL },
	{ "level", K_ENUM, false, 0, 0, log_levels },
	{ "show_level", K_BOOL, false, 0, 0, NULL },
	{ "show_log_origin", K_BOOL, false, 0, 0, NULL },
	{ "module", K_STRING, false, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct field metrics_fields[] = {
	{ "metrics_path", K_PATH, true, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

static const struct field mmds_config_fields[] = {
	{ "network_interfaces", K_ID_LIST, true, 1, SS_VM_MAX_IFACES, NULL },
	{ "version", K_ENUM, false, 0, 0, mmds_versions },
	{ "ipv4_address", K_IPV4_LINK_LOCAL, false, 0, 0, NULL },
	{ "imds_compat", K_BOOL, false, 0, 0, NULL },
	{ NULL, 0, false, 0, 0, NULL },
};

bool ss_vm_valid_device_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-') || n >= SS_VM_DEVICE_ID_MAX)
			return false;
	}
	return n > 0;
}

static bool valid_mac(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		char c = s[i];
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		if (i % 3 == 2 ? c != ':' : !hex)
			return false;
	}
	return true;
}

/* Firecracker's pattern: 169.254.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4]).(0..255). */
static bool valid_link_local(const char *s)
{
	unsigned a, b, c, d;
	char tail, canon[16];

	if (sscanf(s, "%3u.%3u.%3u.%3u%c", &a, &b, &c, &d, &tail) != 4)
		return false;
	snprintf(canon, sizeof canon, "%u.%u.%u.%u", a, b, c, d);
	return strcmp(canon, s) == 0 && a == 169 && b == 254 && c >= 1 && c <= 254 && d <= 255;
}

static int check_value(const cJSON *obj, const char *where, const struct field *f, ss_err *err)
{
	const char *s;
	int64_t i;
	bool b;
	int rc;

	switch (f->kind) {
	case K_BOOL:
		return ss_json_bool(obj, where, f->name, &b, err);
	case K_INT:
		return ss_json_int(obj, where, f->name, f->min, f->max, &i, err);
	case K_ID_LIST: {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, f->name), *it;
		int n = cJSON_GetArraySize(list);
		if (!cJSON_IsArray(list) || n < f->min || n > f->max)
			return ss_err_set(err, SS_EINPUT,
					  "member '%s.%s' must be a list of %lld to %lld interface ids",
					  where, f->name, (long long)f->min, (long long)f->max);
		cJSON_ArrayForEach(it, list)
			if (!cJSON_IsString(it) || !ss_vm_valid_device_id(it->valuestring))
				return ss_err_set(err, SS_EINPUT,
						  "member '%s.%s' must hold interface ids "
						  "([A-Za-z0-9_-]{1,64})", where, f->name);
		return SS_OK;
	}
	default:
		break;
	}
	if ((rc = ss_json_string(obj, where, f->name, &s, err)))
		return rc;
	switch (f->kind) {
	case K_PATH:
		if (!*s || strlen(s) >= PATH_MAX)
			return ss_err_set(err, SS_EINPUT, "member '%s.%s' must be a path",
					  where, f->name);
		break;
	case K_DEVICE_ID:
		if (!ss_vm_valid_device_id(s))
			return ss_err_set(err, SS_EINPUT,
					  "member '%s.%s' is not a device id ([A-Za-z0-9_-]{1,64})",
					  where, f->name);
		break;
	case K_IFNAME: /* a Linux interface name: IFNAMSIZ - 1 bytes, no '/' */
		if (!*s || strlen(s) > 15 || strchr(s, '/') || strchr(s, ' '))
			return ss_err_set(err, SS_EINPUT,
					  "member '%s.%s' must be an interface name (1 to 15 "
					  "characters, no '/' or space)", where, f->name);
		break;
	case K_ENUM: {
		ss_buf list = SS_BUF_INIT;
		size_t k;
		for (k = 0; f->values[k]; k++)
			if (strcmp(f->values[k], s) == 0)
				return SS_OK;
		for (k = 0; f->values[k]; k++)
			ss_buf_addf(&list, "%s%s", k ? ", " : "", f->values[k]);
		rc = ss_err_set(err, SS_EINPUT, "member '%s.%s' must be one of %s", where, f->name,
				ss_buf_str(&list));
		ss_buf_free(&list);
		return rc;
	}
	case K_MAC:
		if (!valid_mac(s))
			return ss_err_set(err, SS_EINPUT,
					  "member '%s.%s' must be a MAC address (xx:xx:xx:xx:xx:xx)",
					  where, f->name);
		break;
	case K_IPV4_LINK_LOCAL:
		if (!valid_link_local(s))
			return ss_err_set(err, SS_EINPUT,
					  "member '%s.%s' must be an IPv4 link-local address "
					  "(169.254.1.0 to 169.254.254.255)", where, f->name);
		break;
	default:
		break;
	}
	return SS_OK;
}

/* obj must be an object holding only the fields, the required ones present
 * and each of its kind. */
static int check_section(const cJSON *obj, const char *where, const struct field *fields,
			 ss_err *err)
{
	const char *names[16];
	size_t n = 0;
	int rc;

	if (!cJSON_IsObject(obj))
		return ss_err_set(err, SS_EINPUT, "member '%s' must be an object", where);
	for (const struct field *f = fields; f->name; f++)
		names[n++] = f->name;
	names[n] = NULL;
	if ((rc = ss_json_only(obj, where, names, err)))
		return rc;
	for (const struct field *f = fields; f->name; f++) {
		if (!cJSON_GetObjectItemCaseSensitive(obj, f->name)) {
			if (f->required)
				return ss_err_set(err, SS_EINPUT, "member '%s.%s' is missing", where,
						  f->name);
			continue;
		}
		if ((rc = check_value(obj, where, f, err)))
			return rc;
	}
	return SS_OK;
}

/* An optional section: *out = NULL when absent. */
static int section(const cJSON *doc, const char *name, const struct field *fields,
		   const cJSON **out, ss_err *err)
{
	*out = cJSON_GetObjectItemCaseSensitive(doc, name);
	return *out ? check_section(*out, name, fields, err) : SS_OK;
}

static const char *str(const cJSON *obj, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int parse_drives(const cJSON *doc, ss_vm *vm, ss_err *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "drives"), *d;
	char where[32];
	bool root = false;
	int rc;

	if (!list)
		return SS_OK;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > SS_VM_MAX_DRIVES)
		return ss_err_set(err, SS_EINPUT, "member 'drives' must be a list of at most %d drives",
				  SS_VM_MAX_DRIVES);
	cJSON_ArrayForEach(d, list) {
		ss_vm_drive *dr = &vm->drives[vm->ndrives];
		snprintf(where, sizeof where, "drives[%zu]", vm->ndrives);
		if ((rc = check_section(d, where, drive_fields, err)))
			return rc;
		dr->obj = d;
		dr->drive_id = str(d, "drive_id");
		dr->path_on_host = str(d, "path_on_host");
		dr->is_root_device = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "is_root_device"));
		dr->is_read_only = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "is_read_only"));
		for (size_t i = 0; i < vm->ndrives; i++)
			if (strcmp(vm->drives[i].drive_id, dr->drive_id) == 0)
				return ss_err_set(err, SS_EINPUT, "%s: drive_id '%s' is used twice",
						  where, dr->drive_id);
		if (dr->is_root_device && root)
			return ss_err_set(err, SS_EINPUT, "%s: a second root device", where);
		root |= dr->is_root_device;
		vm->ndrives++;
	}
	return SS_OK;
}

static bool has_iface(const cJSON *ifaces, const char *id)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, ifaces)
		if (strcmp(str(it, "iface_id"), id) == 0)
			return true;
	return false;
}

static int parse_ifaces(const cJSON *doc, ss_vm *vm, ss_err *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "network-interfaces"), *it;
	char where[48];
	size_t i = 0;
	int rc;

	if (!list)
		return SS_OK;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > SS_VM_MAX_IFACES)
		return ss_err_set(err, SS_EINPUT,
				  "member 'network-interfaces' must be a list of at most %d interfaces",
				  SS_VM_MAX_IFACES);
	cJSON_ArrayForEach(it, list) {
		snprintf(where, sizeof where, "network-interfaces[%zu]", i);
		if ((rc = check_section(it, where, iface_fields, err)))
			return rc;
		for (const cJSON *p = list->child; p != it; p = p->next)
			if (strcmp(str(p, "iface_id"), str(it, "iface_id")) == 0)
				return ss_err_set(err, SS_EINPUT, "%s: iface_id '%s' is used twice",
						  where, str(it, "iface_id"));
		i++;
	}
	vm->ifaces = list;
	return SS_OK;
}

static int parse_doc(cJSON *doc, ss_vm *vm, ss_err *err)
{
	static const char *const members[] = {
		"type", "execution", "boot-source", "machine-config", "drives",
		"network-interfaces", "vsock", "logger", "metrics", "mmds-config", "no_seccomp",
		NULL
	};
	const cJSON *exec, *m, *it;
	int64_t v;
	int rc;

	if ((rc = ss_json_type(doc, "ss.vm.v1", err)) ||
	    (rc = ss_json_only(doc, "", members, err)) ||
	    (rc = ss_json_object(doc, "", "execution", &exec, err)) ||
	    (rc = ss_execution_parse(exec, "execution", &vm->exec, err)) ||
	    (rc = ss_json_member(doc, "", "boot-source", &m, err)) ||
	    (rc = check_section(m, "boot-source", boot_source_fields, err)))
		return rc;
	vm->boot_source = m;
	vm->kernel_image_path = str(m, "kernel_image_path");
	vm->initrd_path = str(m, "initrd_path");
	if ((rc = ss_json_member(doc, "", "machine-config", &m, err)) ||
	    (rc = check_section(m, "machine-config", machine_config_fields, err)))
		return rc;
	vm->machine_config = m;
	ss_json_int(m, "", "vcpu_count", 1, 32, &vm->vcpu_count, NULL);
	ss_json_int(m, "", "mem_size_mib", 1, SS_JSON_MAX_INT, &v, NULL);
	vm->mem_size_mib = v;
	if ((rc = parse_drives(doc, vm, err)) || (rc = parse_ifaces(doc, vm, err)) ||
	    (rc = section(doc, "vsock", vsock_fields, &vm->vsock, err)) ||
	    (rc = section(doc, "logger", logger_fields, &vm->logger, err)) ||
	    (rc = section(doc, "metrics", metrics_fields, &vm->metrics, err)) ||
	    (rc = section(doc, "mmds-config", mmds_config_fields, &vm->mmds_config, err)))
		return rc;
	if (vm->mmds_config)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(vm->mmds_config,
									 "network_interfaces"))
			if (!vm->ifaces || !has_iface(vm->ifaces, it->valuestring))
				return ss_err_set(err, SS_EINPUT,
						  "mmds-config.network_interfaces: '%s' is not "
						  "in network-interfaces", it->valuestring);
	if (cJSON_GetObjectItemCaseSensitive(doc, "no_seccomp") &&
	    (rc = ss_json_bool(doc, "", "no_seccomp", &vm->no_seccomp, err)))
		return rc;
	return SS_OK;
}

int ss_vm_parse_text(const char *text, size_t len, const char *name, ss_vm *vm, ss_err *err)
{
	size_t i = 0;
	int rc;

	memset(vm, 0, sizeof *vm);
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i < len && text[i] == '{') {
		if ((rc = ss_json_parse(text, len, &vm->doc, err)))
			ss_err_prefix(err, "%s", name);
	} else
		rc = ss_yaml_to_json(text, len, name, &vm->doc, err); /* names itself */
	if (!rc && (rc = parse_doc(vm->doc, vm, err)))
		ss_err_prefix(err, "%s", name);
	if (rc)
		ss_vm_free(vm);
	return rc;
}

int ss_vm_load(const char *path, ss_vm *vm, ss_err *err)
{
	ss_buf text = SS_BUF_INIT;
	char name[PATH_MAX + 8];
	int rc;

	memset(vm, 0, sizeof *vm);
	snprintf(name, sizeof name, "vm '%s'", path);
	if (!(rc = ss_read_path(path, SS_JSON_MAX_SIZE, &text, err)))
		rc = ss_vm_parse_text((const char *)text.data, text.len, name, vm, err);
	ss_buf_free(&text);
	return rc;
}

int ss_file_sha256(const char *path, const char *what, unsigned char out[SS_SHA256_LEN],
		   ss_err *err)
{
	static unsigned char chunk[1 << 16];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct stat st;
	int fd, rc = SS_OK;
	unsigned len = 0;

	if (!ctx)
		ss_oom();
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = ss_err_errno(err, SS_EIO, "%s '%s'", what, path);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		rc = ss_err_errno(err, SS_EIO, "%s '%s'", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ss_err_set(err, SS_EINPUT, "%s '%s': not a regular file", what, path);
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = ss_err_ssl(err, "sha256");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ss_err_errno(err, SS_EIO, "%s '%s'", what, path);
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1) {
			rc = ss_err_ssl(err, "sha256");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1)
		rc = ss_err_ssl(err, "sha256");
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int ss_vm_hash_files(ss_vm *vm, ss_err *err)
{
	char what[96];
	int rc;

	if ((rc = ss_file_sha256(vm->kernel_image_path, "kernel_image_path", vm->kernel_sha256,
				 err)))
		return rc;
	if (vm->initrd_path &&
	    (rc = ss_file_sha256(vm->initrd_path, "initrd_path", vm->initrd_sha256, err)))
		return rc;
	for (size_t i = 0; i < vm->ndrives; i++) {
		snprintf(what, sizeof what, "drive '%s'", vm->drives[i].drive_id);
		if ((rc = ss_file_sha256(vm->drives[i].path_on_host, what, vm->drives[i].sha256,
					 err)))
			return rc;
	}
	vm->hashed = true;
	return SS_OK;
}

void ss_vm_free(ss_vm *vm)
{
	cJSON_Delete(vm->doc);
	memset(vm, 0, sizeof *vm);
}
