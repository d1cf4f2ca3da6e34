/* ss.vm.v1: the microVM that ss-fc-launch starts, in YAML or JSON.
 *
 * Besides "type" and "execution" (the ss.execution.v1 document the VM runs
 * for), the members are the sections of Firecracker's own VM configuration,
 * named and shaped as Firecracker names them, each becoming one API request:
 *
 *   boot-source        {kernel_image_path, boot_args?, initrd_path?}
 *   machine-config     {vcpu_count 1..32, mem_size_mib, smt?, track_dirty_pages?,
 *                       huge_pages? None|2M, cpu_template?}
 *   drives?            [{drive_id, path_on_host, is_root_device, is_read_only,
 *                        partuuid?, cache_type? Unsafe|Writeback, io_engine? Sync|Async}]
 *   network-interfaces? [{iface_id, host_dev_name, guest_mac?, mtu? 68..65535}]
 *   vsock?             {guest_cid >= 3, uds_path}
 *   logger?            {log_path?, level?, show_level?, show_log_origin?, module?}
 *   metrics?           {metrics_path}
 *   mmds-config?       {network_interfaces [iface_id...], version? V2, ipv4_address?,
 *                       imds_compat?}
 *   no_seccomp?        Firecracker's --no-seccomp; true is refused by a gate
 *
 * Only what ss-fc-launch can start and account for is accepted: block
 * devices backed by regular files (no vhost-user sockets, no rate
 * limiters), MMDS version 2 only.  Device ids are [A-Za-z0-9_-]{1,64}, so
 * they are safe in an API path and a file name.  Unknown members, wrong
 * types and values out of Firecracker's ranges are SS_EINPUT.  The
 * full contract is in ss-fc-launch(1) and docs/schemas/ss.vm.v1.schema.json. */
#ifndef SS_VM_SPEC_H
#define SS_VM_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss/crypto.h"
#include "ss/err.h"
#include "ss/execution.h"

#define SS_VM_MAX_DRIVES 16
#define SS_VM_MAX_IFACES 8
#define SS_VM_DEVICE_ID_MAX 64

typedef struct ss_vm_drive {
	const char *drive_id;       /* these point into ss_vm.doc */
	const char *path_on_host;
	bool is_root_device;
	bool is_read_only;
	const cJSON *obj;           /* the drive as the spec gives it */
	unsigned char sha256[SS_SHA256_LEN];
} ss_vm_drive;

typedef struct ss_vm {
	cJSON *doc;
	ss_execution exec;
	const cJSON *boot_source, *machine_config, *vsock, *logger, *metrics, *mmds_config;
	const cJSON *ifaces;        /* the network-interfaces array, or NULL */
	const char *kernel_image_path;
	const char *initrd_path;    /* NULL when absent */
	int64_t vcpu_count, mem_size_mib;
	ss_vm_drive drives[SS_VM_MAX_DRIVES];
	size_t ndrives;
	bool no_seccomp;
	bool hashed;                /* the sha256 members below are set */
	unsigned char kernel_sha256[SS_SHA256_LEN];
	unsigned char initrd_sha256[SS_SHA256_LEN];
} ss_vm;

/* Parse a spec from its text: JSON when the first non-blank byte is '{'
 * (the strict JSON reader), YAML otherwise (ss/yaml_json.h).  name is how
 * messages call it ("vm 'vm.yaml'"). */
int ss_vm_parse_text(const char *text, size_t len, const char *name, ss_vm *vm, ss_err *err);
/* Read a spec file (capped at 1 MiB) and parse it. */
int ss_vm_load(const char *path, ss_vm *vm, ss_err *err);
/* SHA-256 of the kernel, the initrd and every drive.  Each must be a
 * regular file (SS_EINPUT otherwise); one that cannot be read is SS_EIO. */
int ss_vm_hash_files(ss_vm *vm, ss_err *err);
void ss_vm_free(ss_vm *vm);

/* SHA-256 of a whole regular file. */
int ss_file_sha256(const char *path, const char *what, unsigned char out[SS_SHA256_LEN],
		   ss_err *err);

/* A Firecracker device or VM id: [A-Za-z0-9_-]{1,64}. */
bool ss_vm_valid_device_id(const char *s);

#endif
