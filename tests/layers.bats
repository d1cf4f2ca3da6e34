#!/usr/bin/env bats
# libss's layering (common/LAYERS, docs/ARCHITECTURE.md): the real tree
# passes, and a planted upward include is named and fails the check.

load lib/common

setup() {
	scratch=$(mktemp -d "$BATS_TEST_TMPDIR/tree.XXXXXX")
	cp -r "$SS_TOP/common" "$scratch/"
}

@test "the source tree keeps its layers" {
	run "$SS_TOP/scripts/check-layers" "$SS_TOP"
	assert_success
	assert_output ""
}

@test "a lower layer including a higher one fails, naming the file and the include" {
	sed -i '1a #include "ss/handshake.h"' "$scratch/common/core/buf.c"
	run -1 "$SS_TOP/scripts/check-layers" "$scratch"
	assert_output 'check-layers: common/core/buf.c: includes "ss/handshake.h" (attest): core includes no other layer'
}

@test "a header including a higher layer's header fails too" {
	sed -i 's|#include "ss/err.h"|#include "ss/err.h"\n#include "ss/tpm.h"|' "$scratch/common/ss/quote.h"
	run -1 "$SS_TOP/scripts/check-layers" "$scratch"
	assert_output 'check-layers: common/ss/quote.h: includes "ss/tpm.h" (tpm): doc may include only core crypto tcg'
}

@test "peers do not include each other: tpm and derive" {
	sed -i '1a #include "ss/key_record.h"' "$scratch/common/tpm/tpm_info.c"
	run -1 "$SS_TOP/scripts/check-layers" "$scratch"
	assert_output 'check-layers: common/tpm/tpm_info.c: includes "ss/key_record.h" (derive): tpm may include only core crypto tcg doc'
}

@test "libss never includes a tool's code" {
	sed -i '1a #include "../../cmd/ss-derive-key.c"' "$scratch/common/derive/key_batch.c"
	run -1 "$SS_TOP/scripts/check-layers" "$scratch"
	assert_output 'check-layers: common/derive/key_batch.c: includes "../../cmd/ss-derive-key.c": libss never includes a tool'"'"'s code'
}

@test "a folder that is not a layer is refused" {
	mkdir "$scratch/common/misc"
	touch "$scratch/common/misc/x.c"
	run -1 "$SS_TOP/scripts/check-layers" "$scratch"
	assert_output 'check-layers: common/misc/: not a layer in common/LAYERS'
}
