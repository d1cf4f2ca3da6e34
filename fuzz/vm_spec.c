/* ss.vm.v1, YAML or JSON (fc/vm_spec.c), and the launch it plans
 * (fc/api_plan.c) - fuzz-dict: yaml
 * An accepted spec is within its limits, and both plans made from it
 * (direct and jailed) print as lines of strict JSON (--dry-run). */
#include "harness.h"

#include <string.h>

#include "ss/api_plan.h"
#include "ss/buf.h"
#include "ss/json.h"
#include "ss/launch_gate.h"
#include "ss/vm_spec.h"

static ss_launch_inputs in;

static void plan(bool jailed)
{
	ss_fc_plan_opts o = { .api_sock = jailed ? NULL : "/run/fuzz/api.sock", .jailer = jailed,
			      .uid = 123, .gid = 456, .chroot_base = "/srv/jailer" };
	ss_buf out = SS_BUF_INIT;
	ss_fc_plan p;
	ss_err err = { 0 };
	int rc;

	memset(&p, 0, sizeof p);
	rc = ss_fc_plan_build(&in, &o, &p, &err);
	fuzz_check_err(rc, &err);
	FUZZ_CHECK(rc == SS_OK, "no plan for an accepted spec: %s", err.msg);
	ss_fc_plan_write(&p, &out);
	for (size_t i = 0, start = 0; i < out.len; i++)
		if (out.data[i] == '\n') {
			cJSON *line = NULL;
			rc = ss_json_parse((const char *)out.data + start, i - start, &line, &err);
			FUZZ_CHECK(rc == SS_OK, "a plan line that is not strict JSON: %s", err.msg);
			cJSON_Delete(line);
			start = i + 1;
		}
	ss_buf_free(&out);
	ss_fc_plan_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ss_err err = { 0 };
	int rc;

	memset(&in, 0, sizeof in);
	rc = ss_vm_parse_text((const char *)data, size, "vm", &in.vm, &err);
	fuzz_check_input(rc, &err);
	if (!rc) {
		FUZZ_CHECK(in.vm.vcpu_count >= 1 && in.vm.vcpu_count <= 32, "%lld vCPUs",
			   (long long)in.vm.vcpu_count);
		FUZZ_CHECK(in.vm.ndrives <= SS_VM_MAX_DRIVES, "%zu drives", in.vm.ndrives);
		for (size_t i = 0; i < in.vm.ndrives; i++)
			FUZZ_CHECK(ss_vm_valid_device_id(in.vm.drives[i].drive_id),
				   "drive id '%s'", in.vm.drives[i].drive_id);
		snprintf(in.key.key_id, sizeof in.key.key_id, "%s", "00112233445566778899aabbccddeeff");
		snprintf(in.firecracker, sizeof in.firecracker, "%s", "/usr/bin/firecracker");
		snprintf(in.jailer, sizeof in.jailer, "%s", "/usr/bin/jailer");
		plan(false);
		plan(true);
	}
	ss_vm_free(&in.vm);
	return 0;
}
