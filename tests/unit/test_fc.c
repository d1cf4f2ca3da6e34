/* The fc layer's pure parts: YAML as a strict JSON tree, the VM spec, and
 * telemetry signatures made and checked (the launch itself is in the bats
 * suites, against the Firecracker test double). */
#include <string.h>

#include <openssl/evp.h>

#include "ss/crypto.h"
#include "ss/jcs.h"
#include "ss/json.h"
#include "ss/sign.h"
#include "ss/telemetry.h"
#include "ss/vm_spec.h"
#include "ss/yaml_json.h"
#include "unit.h"

static char *yaml_as_json(const char *y, ss_err *err)
{
	static char out[4096];
	ss_buf b = SS_BUF_INIT;
	cJSON *doc;

	if (ss_yaml_to_json(y, strlen(y), "y", &doc, err))
		return NULL;
	ss_json_write(doc, &b);
	snprintf(out, sizeof out, "%s", ss_buf_str(&b));
	ss_buf_free(&b);
	cJSON_Delete(doc);
	return out;
}

TEST(yaml_scalars_are_typed_as_json_would_be)
{
	ss_err err = { 0 };

	CHECK_STR(yaml_as_json("a: 1\nb: -7\nc: true\nd: false\ne: null\nf: ~\ng:\nh: x\n", &err),
		  "{\"a\":1,\"b\":-7,\"c\":true,\"d\":false,\"e\":null,\"f\":null,\"g\":null,\"h\":\"x\"}");
	/* Quoted scalars are strings; what is not a plain integer is a string. */
	CHECK_STR(yaml_as_json("a: \"1\"\nb: 'true'\nc: 01\nd: 1.5\ne: 0x10\nf: yes\n", &err),
		  "{\"a\":\"1\",\"b\":\"true\",\"c\":\"01\",\"d\":\"1.5\",\"e\":\"0x10\",\"f\":\"yes\"}");
	CHECK_STR(yaml_as_json("a: 9007199254740992\nb: 9007199254740993\n", &err),
		  "{\"a\":9007199254740992,\"b\":\"9007199254740993\"}");
	CHECK_STR(yaml_as_json("l: [1, {k: v}]\nm: {x: [ ]}\n", &err),
		  "{\"l\":[1,{\"k\":\"v\"}],\"m\":{\"x\":[]}}");
}

static void yaml_refused(const char *y, const char *msg)
{
	ss_err err = { 0 };

	CHECK(yaml_as_json(y, &err) == NULL);
	CHECK(err.code == SS_EINPUT);
	CHECK_STR(err.msg, msg);
}

TEST(yaml_refuses_what_json_cannot_say)
{
	char deep[200] = "";

	yaml_refused("a: 1\nb: 2\na: 3\n", "y line 3: duplicate member 'a'");
	yaml_refused("a: &x [1]\nb: *x\n", "y line 1: anchors are not allowed");
	yaml_refused("a: !!int 1\n", "y line 1: tags are not allowed");
	yaml_refused("? [1]\n: 2\n", "y line 1: mapping keys must be scalars");
	yaml_refused("a: \"x\\0y\"\n", "y line 1: U+0000 is not allowed in a string");
	yaml_refused("- 1\n", "y line 1: the document must be a mapping");
	yaml_refused("a: 1\n---\nb: 1\n", "y line 2: more than one document");
	yaml_refused("", "y: empty document");
	for (int i = 0; i < 33; i++)
		strcat(deep, "[");
	yaml_refused(deep, "y line 1: nested deeper than 32 levels");
}

#define EXEC "{\"type\":\"ss.execution.v1\",\"execution_id\":\"e\",\"tenant_id\":\"t\"," \
	     "\"operator_id\":\"o\",\"fingerprint\":\"sha256:" \
	     "0000000000000000000000000000000000000000000000000000000000000000\"}"

static int vm(const char *extra, ss_vm *out, ss_err *err)
{
	char text[2048];

	snprintf(text, sizeof text,
		 "{\"type\":\"ss.vm.v1\",\"execution\":" EXEC ","
		 "\"boot-source\":{\"kernel_image_path\":\"/k\"},"
		 "\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":128}%s}", extra);
	return ss_vm_parse_text(text, strlen(text), "vm", out, err);
}

TEST(vm_spec_accepts_firecracker_shapes)
{
	ss_err err = { 0 };
	ss_vm v;

	CHECK(vm(",\"drives\":[{\"drive_id\":\"root_fs-1\",\"path_on_host\":\"/r\","
		 "\"is_root_device\":true,\"is_read_only\":true,\"io_engine\":\"Async\"}],"
		 "\"network-interfaces\":[{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\"}],"
		 "\"mmds-config\":{\"network_interfaces\":[\"eth0\"],\"ipv4_address\":\"169.254.1.0\"}",
		 &v, &err) == SS_OK);
	CHECK(v.ndrives == 1 && v.drives[0].is_root_device && v.drives[0].is_read_only);
	CHECK_STR(v.drives[0].drive_id, "root_fs-1");
	CHECK_STR(v.kernel_image_path, "/k");
	CHECK(v.initrd_path == NULL && v.vcpu_count == 1 && v.mem_size_mib == 128);
	CHECK_STR(v.exec.tenant_id, "t");
	ss_vm_free(&v);
}

static void vm_refused(const char *extra, const char *msg)
{
	ss_err err = { 0 };
	ss_vm v;

	CHECK(vm(extra, &v, &err) == SS_EINPUT);
	CHECK_STR(err.msg, msg);
}

TEST(vm_spec_refusals)
{
	vm_refused(",\"drives\":[{\"drive_id\":\"a\",\"path_on_host\":\"/a\",\"is_root_device\":true,"
		   "\"is_read_only\":true},{\"drive_id\":\"b\",\"path_on_host\":\"/b\","
		   "\"is_root_device\":true,\"is_read_only\":true}]",
		   "vm: drives[1]: a second root device");
	vm_refused(",\"drives\":[{\"drive_id\":\"a\",\"path_on_host\":\"/a\",\"is_root_device\":false,"
		   "\"is_read_only\":true},{\"drive_id\":\"a\",\"path_on_host\":\"/b\","
		   "\"is_root_device\":false,\"is_read_only\":true}]",
		   "vm: drives[1]: drive_id 'a' is used twice");
	vm_refused(",\"network-interfaces\":[{\"iface_id\":\"e\",\"host_dev_name\":\"a/b\"}]",
		   "vm: member 'network-interfaces[0].host_dev_name' must be an interface name "
		   "(1 to 15 characters, no '/' or space)");
	vm_refused(",\"mmds-config\":{\"network_interfaces\":[]}",
		   "vm: member 'mmds-config.network_interfaces' must be a list of 1 to 8 interface ids");
	vm_refused(",\"mmds-config\":{\"network_interfaces\":[\"e\"],\"ipv4_address\":\"169.254.0.1\"}",
		   "vm: member 'mmds-config.ipv4_address' must be an IPv4 link-local address "
		   "(169.254.1.0 to 169.254.254.255)");
	vm_refused(",\"vsock\":{\"guest_cid\":2,\"uds_path\":\"/v\"}",
		   "vm: member 'vsock.guest_cid' is out of range (3..4294967295)");
	vm_refused(",\"logger\":{\"level\":\"Loud\"}",
		   "vm: member 'logger.level' must be one of Error, Warning, Info, Debug, Trace, Off");
	vm_refused(",\"no_seccomp\":1", "vm: member 'no_seccomp' must be true or false");
}

/* A signed event verifies; any change to it, including to the signature
 * attributes other than the signature itself, does not. */
#define DATA \
	"{\"event\":\"launched\",\"execution_id\":\"e\",\"tenant_id\":\"t\"," \
	"\"operator_id\":\"o\",\"fingerprint\":\"sha256:" \
	"0000000000000000000000000000000000000000000000000000000000000000\"," \
	"\"session_binding_hash\":null,\"key_id\":\"0123456789abcdef0123456789abcdef\"," \
	"\"key_kind\":\"ed25519\",\"runner_id\":null,\"attestation\":{\"approved\":true," \
	"\"reason\":\"approved\",\"ak_name\":null,\"pcr_digest\":null," \
	"\"session_expires_at\":null},\"vm\":{\"id\":\"v\",\"jailed\":false,\"pid\":7," \
	"\"kernel_sha256\":\"" \
	"0000000000000000000000000000000000000000000000000000000000000000\"," \
	"\"initrd_sha256\":null,\"drives\":[],\"vcpu_count\":1,\"mem_size_mib\":128}," \
	"\"fault\":null,\"exit\":null,\"timings_us\":{\"gates\":1,\"spawn_to_socket\":null," \
	"\"configure\":null,\"start\":null,\"total\":2,\"cpu_to_start\":null}}"

TEST(telemetry_signature_covers_everything_but_itself)
{
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "ED25519", NULL);
	ss_signer signer = { 0 };
	ss_keyring ring = { 0 };
	ss_keyrec key;
	ss_buf pem = SS_BUF_INIT, line = SS_BUF_INIT;
	ss_err err = { 0 };
	unsigned char id[32];
	cJSON *ev = ss_json_new_object(), *data;

	CHECK(kctx && EVP_PKEY_keygen_init(kctx) == 1 && EVP_PKEY_keygen(kctx, &signer.key) == 1);
	signer.alg = "ed25519";
	CHECK(ss_pkey_spki_sha256(signer.key, id, &err) == SS_OK);
	for (int i = 0; i < 32; i++)
		snprintf(signer.key_id + 2 * i, 3, "%02x", id[i]);
	CHECK(ss_pkey_public_pem(signer.key, &pem, &err) == SS_OK);
	memset(&key, 0, sizeof key);
	snprintf(key.key_id, sizeof key.key_id, "0123456789abcdef0123456789abcdef");
	snprintf(key.public_key_pem, sizeof key.public_key_pem, "%s", ss_buf_str(&pem));
	snprintf(key.execution_id, sizeof key.execution_id, "e");
	snprintf(key.tenant_id, sizeof key.tenant_id, "t");
	key.kind = SS_KEY_ED25519;
	CHECK(ss_keyring_add_pem(&ring, (const char *)pem.data, pem.len, "key", &err) == SS_OK);

	ss_json_add_string(ev, "specversion", "1.0");
	ss_json_add_string(ev, "id", "00");
	ss_json_add_string(ev, "source", "urn:ss:runner");
	ss_json_add_string(ev, "type", "ss.telemetry.v1.launched");
	ss_json_add_string(ev, "subject", "e");
	ss_json_add_string(ev, "time", "2026-01-01T00:00:00Z");
	ss_json_add_string(ev, "datacontenttype", "application/json");
	/* Every member of data, as the tool writes them (the verifier checks
	 * the whole event before its signature). */
	CHECK(ss_json_parse(DATA, strlen(DATA), &data, &err) == SS_OK);
	cJSON_AddItemToObject(ev, "data", data);
	CHECK(ss_telemetry_sign(ev, &signer, &err) == SS_OK);
	ss_json_write(ev, &line);
	CHECK(ss_telemetry_verify((const char *)line.data, line.len, &key, &ring, &err) == SS_OK);

	cJSON_ReplaceItemInObject(ev, "signaturekeyid", cJSON_CreateString(
		"0000000000000000000000000000000000000000000000000000000000000000"));
	ss_buf_reset(&line);
	ss_json_write(ev, &line);
	CHECK(ss_telemetry_verify((const char *)line.data, line.len, &key, &ring, &err) == SS_REFUSED);
	cJSON_ReplaceItemInObject(ev, "signaturekeyid", cJSON_CreateString(signer.key_id));
	cJSON_ReplaceItemInObject(ev, "subject", cJSON_CreateString("e2"));
	ss_buf_reset(&line);
	ss_json_write(ev, &line);
	CHECK(ss_telemetry_verify((const char *)line.data, line.len, &key, &ring, &err) == SS_REFUSED);
	CHECK_STR(err.msg, "event: signature does not verify");

	cJSON_Delete(ev);
	ss_buf_free(&line);
	ss_buf_free(&pem);
	ss_keyring_free(&ring);
	ss_signer_free(&signer);
	EVP_PKEY_CTX_free(kctx);
}

int main(void)
{
	ss_crypto_init();
	RUN(yaml_scalars_are_typed_as_json_would_be);
	RUN(yaml_refuses_what_json_cannot_say);
	RUN(vm_spec_accepts_firecracker_shapes);
	RUN(vm_spec_refusals);
	RUN(telemetry_signature_covers_everything_but_itself);
	return unit_done();
}
