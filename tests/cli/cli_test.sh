#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cli_test.sh - integration tests of the `meterseal` tool, one test per call:
#
#   cli_test.sh TEST_NAME
#
# Environment (set by tests/cli/CMakeLists.txt):
#   MS_CLI          the meterseal binary (OpenSSL backend)
#   MS_CLI_MBEDTLS  the meterseal-mbedtls binary ("" when not built)
#   MS_VECTORS      the imgtool vectors (k.pem, enc.pem, in.bin, plain.bin, ...)
#   MS_IMGCHECK     imgcheck.py, the independent image reader
#
# Each test runs in its own fresh temporary directory (removed afterwards),
# so tests can run in parallel. A test fails with a message naming the
# check that did not hold.
set -euo pipefail

name=${1:?usage: cli_test.sh TEST_NAME}
: "${MS_CLI:?}" "${MS_VECTORS:?}" "${MS_IMGCHECK:?}"
MS_CLI_MBEDTLS=${MS_CLI_MBEDTLS:-}
V=$MS_VECTORS
work=$(mktemp -d "${TMPDIR:-/tmp}/ms-cli-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

die() { echo "FAIL [$name]: $*" >&2; exit 1; }
check() { python3 "$MS_IMGCHECK" "$@" || die "imgcheck $1 failed"; }

# The options each vector was made with (vectors README).
base_opts=(--header-size 0x200 --align 8 --version 1.2.3+4 --slot-size 0x40000 --pad-header)
vector_opts() {
  case $1 in
    plain)   echo "" ;;
    enc)     echo "--encrypt $V/enc.pem" ;;
    seccnt)  echo "--security-counter 7" ;;
    confirm) echo "--confirm" ;;
    all)     echo "--encrypt $V/enc.pem --security-counter 7 --confirm" ;;
  esac
}
is_encrypted_vector() { [ "$1" = enc ] || [ "$1" = all ]; }

# expect_fail VERB REASON_REGEX CMD...: non-zero exit, exactly one line on
# stderr, of the form "meterseal: VERB: ...", mentioning the reason.
expect_fail() {
  local verb=$1 reason=$2
  shift 2
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [ "$rc" -ne 0 ] || die "'$*' succeeded, expected a failure"
  [ "$(wc -l <err.txt)" -eq 1 ] || { cat err.txt >&2; die "stderr is not one line"; }
  grep -q "^meterseal: $verb: " err.txt || { cat err.txt >&2; die "message does not start with 'meterseal: $verb: '"; }
  grep -Eqi -- "$reason" err.txt || { cat err.txt >&2; die "message does not mention /$reason/"; }
}

need_mbedtls() {
  if [ -z "$MS_CLI_MBEDTLS" ]; then
    echo "meterseal-mbedtls not built: skipped"
    exit 77
  fi
}

case $name in

# ---- the imgtool vectors ----------------------------------------------------
verify_vector_plain|verify_vector_seccnt|verify_vector_confirm)
  v=${name#verify_vector_}
  "$MS_CLI" verify -k "$V/k.pem" "$V/$v.bin" >out.txt || die "verify $v.bin"
  grep -qx OK out.txt || die "no OK line"
  grep -q '^version: *1\.2\.3+4$' out.txt || die "version not shown"
  ;;
verify_vector_enc|verify_vector_enc256|verify_vector_all)
  v=${name#verify_vector_}
  "$MS_CLI" verify -k "$V/k.pem" --enc-key "$V/enc.pem" "$V/$v.bin" >out.txt || die "verify $v.bin"
  grep -qx OK out.txt || die "no OK line"
  grep -q '^encrypted: *yes' out.txt || die "not reported as encrypted"
  ;;
verify_vector_keyhash_is_shown)
  "$MS_CLI" verify -k "$V/k.pem" "$V/plain.bin" >out.txt
  want=$(python3 "$MS_IMGCHECK" field "$V/plain.bin" 0x01)
  grep -q "^key hash: *$want" out.txt || die "key hash line is not the KEYHASH TLV"
  want=$(python3 "$MS_IMGCHECK" field "$V/plain.bin" 0x10)
  grep -q "^hash: *$want" out.txt || die "hash line is not the SHA256 TLV"
  ;;
verify_vector_sec_counter_is_shown)
  "$MS_CLI" verify -k "$V/k.pem" "$V/seccnt.bin" >out.txt
  grep -q '^security counter: *7 (0x00000007)$' out.txt || die "security counter not shown"
  ;;
verify_encrypted_without_key_says_key_needed)
  expect_fail verify 'encrypted.*--enc-key' "$MS_CLI" verify -k "$V/k.pem" "$V/enc.bin"
  ;;
verify_with_public_key_file)
  "$MS_CLI" getpub -k "$V/k.pem" -o pub.pem
  "$MS_CLI" verify -k pub.pem "$V/plain.bin" >/dev/null || die "verify with the public key"
  ;;
decrypt_vector_enc|decrypt_vector_enc256|decrypt_vector_all)
  v=${name#decrypt_vector_}
  "$MS_CLI" decrypt --enc-key "$V/enc.pem" "$V/$v.bin" dec.bin >/dev/null || die "decrypt"
  check payload dec.bin "$V/in.bin"
  "$MS_CLI" verify -k "$V/k.pem" dec.bin >out.txt || die "decrypted image does not verify"
  grep -q '^encrypted: *no' out.txt || die "decrypted image still reported encrypted"
  ;;
decrypt_keeps_slot_trailer)
  "$MS_CLI" decrypt --enc-key "$V/enc.pem" "$V/all.bin" dec.bin >/dev/null
  [ "$(stat -c %s dec.bin)" -eq "$(stat -c %s "$V/all.bin")" ] || die "slot length changed"
  cmp <(tail -c 64 dec.bin) <(tail -c 64 "$V/all.bin") || die "trailer changed"
  ;;
inspect_json_matches_dumpinfo)
  "$MS_CLI" inspect --json "$V/all.bin" >all.json || die "inspect --json"
  check json all.json "$V/dumpinfo-all.json"
  check json "$V/dumpinfo-all.json" all.json
  ;;
inspect_human_names_tlvs_and_trailer)
  "$MS_CLI" inspect "$V/all.bin" >out.txt || die "inspect"
  for w in SEC_CNT SHA256 KEYHASH ECDSASIG ENCEC256 ENCRYPTED_AES128 '1\.2\.3\+4' \
           'image_ok +0x01' 'copy_done +0xff' 'magic +77c295f3'; do
    grep -Eq -- "$w" out.txt || die "human output lacks /$w/"
  done
  ;;
inspect_recognises_max_align_16_and_32_trailers)
  for ma in 16 32; do
    "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" --confirm --max-align $ma "$V/in.bin" o$ma.bin \
      >/dev/null || die "sign --max-align $ma"
    "$MS_CLI" inspect o$ma.bin >o$ma.txt || die "inspect --max-align $ma"
    grep -Eq "good, max_align $ma" o$ma.txt || die "max_align $ma magic not recognised"
    grep -Eq 'image_ok +0x01' o$ma.txt || die "max_align $ma: image_ok not found"
  done
  ;;
inspect_unpadded_image_has_no_trailer)
  "$MS_CLI" inspect --json "$V/plain.bin" >p.json
  python3 -c 'import json,sys; d=json.load(open("p.json")); sys.exit(0 if d["trailer"]=={} and d["tlv_area"]["tlvs_prot"]==[] else 1)' \
    || die "plain.bin shows a trailer or protected TLVs"
  ;;

# ---- sign with the vectors' exact imgtool options -----------------------------
sign_layout_plain|sign_layout_enc|sign_layout_seccnt|sign_layout_confirm|sign_layout_all)
  v=${name#sign_layout_}
  # shellcheck disable=SC2046
  "$MS_CLI" sign --key "$V/k.pem" "${base_opts[@]}" $(vector_opts "$v") "$V/in.bin" out.bin \
    >/dev/null || die "sign"
  check layout out.bin "$V/$v.bin"
  for tool in "$MS_CLI" $MS_CLI_MBEDTLS; do
    if is_encrypted_vector "$v"; then
      "$tool" verify -k "$V/k.pem" --enc-key "$V/enc.pem" out.bin >/dev/null || die "$tool verify"
    else
      "$tool" verify -k "$V/k.pem" out.bin >/dev/null || die "$tool verify"
    fi
  done
  ;;
sign_without_pad_header_needs_zeroed_header)
  expect_fail sign 'header' "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 -H 0x200 "$V/in.bin" out.bin
  { head -c 512 /dev/zero; cat "$V/in.bin"; } >z.bin
  "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 -H 0x200 z.bin out.bin >/dev/null || die "zeroed header refused"
  "$MS_CLI" verify -k "$V/k.pem" out.bin >/dev/null || die "verify"
  ;;
sign_security_counter_auto_follows_version)
  "$MS_CLI" sign -k "$V/k.pem" -v 1.2.3 -s auto --pad-header "$V/in.bin" out.bin >/dev/null
  [ "$(python3 "$MS_IMGCHECK" field out.bin 0x50)" = 03000201 ] || die "SEC_CNT is not 0x01020003"
  ;;
sign_full_public_key_verifies)
  "$MS_CLI" sign -k "$V/k.pem" -v 2.0.0 --public-key-format full --pad-header "$V/in.bin" out.bin >/dev/null
  want=$("$MS_CLI" getpub -k "$V/k.pem" -e der | od -An -tx1 -v | tr -d ' \n')
  [ "$(python3 "$MS_IMGCHECK" field out.bin 0x02)" = "$want" ] || die "PUBKEY TLV is not the key's SPKI"
  "$MS_CLI" verify -k "$V/k.pem" out.bin >/dev/null || die "verify"
  ;;
sign_encrypt_keylen_256_roundtrip)
  "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header -E "$V/enc-pub.pem" --encrypt-keylen 256 \
    "$V/in.bin" out.bin >/dev/null || die "sign"
  "$MS_CLI" verify -k "$V/k.pem" --enc-key "$V/enc.pem" out.bin >out.txt || die "verify"
  grep -q 'AES-256' out.txt || die "not AES-256"
  "$MS_CLI" decrypt --enc-key "$V/enc.pem" out.bin dec.bin >/dev/null
  check payload dec.bin "$V/in.bin"
  ;;
mcuboot_rule_opens_imgtool_vectors)
  # the independent reader itself, against imgtool's AES-128 and AES-256 images
  for v in enc enc256 all; do
    check decrypt "$V/$v.bin" "$V/enc.pem" "$V/in.bin" "$V/k.pem"
  done
  ;;
sign_encrypt_aes128_opens_by_mcuboot_rule|sign_encrypt_aes256_opens_by_mcuboot_rule)
  bits=${name#sign_encrypt_aes}; bits=${bits%%_*}
  "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" --encrypt "$V/enc-pub.pem" \
    --encrypt-keylen "$bits" "$V/in.bin" out.bin >/dev/null || die "sign"
  want=$([ "$bits" = 256 ] && echo 8 || echo 4)
  [ "$(python3 "$MS_IMGCHECK" field out.bin flags)" -eq "$want" ] || die "flags are not ENCRYPTED_AES$bits"
  check decrypt out.bin "$V/enc.pem" "$V/in.bin" "$V/k.pem"
  ;;
sign_dependencies_are_recorded)
  "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header -d "(1,2.3.4+5), (2, 0.1.0)" \
    "$V/in.bin" out.bin >/dev/null || die "sign"
  "$MS_CLI" inspect out.bin | grep -c DEPENDENCY | grep -qx 2 || die "two DEPENDENCY TLVs expected"
  "$MS_CLI" verify -k "$V/k.pem" out.bin >/dev/null || die "verify"
  ;;
sign_load_addr_sets_ram_load)
  "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header -L 0x20000000 "$V/in.bin" out.bin >/dev/null
  "$MS_CLI" inspect out.bin | grep -q 'RAM_LOAD' || die "RAM_LOAD flag missing"
  "$MS_CLI" inspect --json out.bin | grep -q '"load_addr": 536870912' || die "load_addr"
  ;;
sign_output_is_deterministic_except_signature)
  "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" -s 9 "$V/in.bin" a.bin >/dev/null
  "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" -s 9 "$V/in.bin" b.bin >/dev/null
  check layout a.bin b.bin
  ;;

sign_output_replaces_input_and_leaves_no_temp_files)
  cp "$V/in.bin" fw.bin
  "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header fw.bin fw.bin >/dev/null || die "sign in place"
  "$MS_CLI" verify -k "$V/k.pem" fw.bin >/dev/null || die "verify"
  check payload fw.bin "$V/in.bin"
  expect_fail sign 'does not fit' "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header -S 0x1000 \
    "$V/in.bin" small.bin
  [ "$(ls -A | grep -c tmp)" -eq 0 ] || die "temporary files left: $(ls -A)"
  ;;

sign_to_stdout_streams_the_same_image)
  "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" -s 9 "$V/in.bin" - >a.bin || die "sign to stdout"
  "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" -s 9 "$V/in.bin" b.bin >/dev/null || die "sign"
  check layout a.bin b.bin
  "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" --confirm -E "$V/enc.pem" "$V/in.bin" - >e.bin \
    || die "sign --encrypt to stdout"
  [ "$(stat -c %s e.bin)" -eq $((0x40000)) ] || die "encrypted stdout image not padded to the slot"
  "$MS_CLI" verify -k "$V/k.pem" --enc-key "$V/enc.pem" e.bin >/dev/null || die "verify e.bin"
  ;;

sign_erased_val_zero_pads_with_zeros)
  "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" --pad -R 0 "$V/in.bin" out.bin >/dev/null || die "sign"
  [ "$(stat -c %s out.bin)" -eq $((0x40000)) ] || die "not padded to the slot"
  end=$(python3 "$MS_IMGCHECK" field out.bin end)
  [ "$(tail -c +$((end + 1)) out.bin | head -c 4096 | tr -d '\000' | wc -c)" -eq 0 ] \
    || die "padding is not 0x00"
  "$MS_CLI" verify -k "$V/k.pem" out.bin >/dev/null || die "verify"
  ;;
sign_non_bootable_sets_the_flag)
  "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header --non-bootable "$V/in.bin" out.bin >/dev/null
  [ "$(python3 "$MS_IMGCHECK" field out.bin flags)" -eq 16 ] || die "flags are not NON_BOOTABLE"
  ;;
sign_max_align_and_overwrite_only_verify)
  for extra in "--max-align 16" "--max-align 32" "--overwrite-only" "--align 32"; do
    # shellcheck disable=SC2086
    "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" --confirm $extra "$V/in.bin" out.bin >/dev/null \
      || die "sign $extra"
    [ "$(stat -c %s out.bin)" -eq $((0x40000)) ] || die "$extra: not padded to the slot"
    "$MS_CLI" verify -k "$V/k.pem" out.bin >/dev/null || die "verify $extra"
  done
  expect_fail sign 'max-align' "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --max-align 4 "$V/in.bin" o.bin
  expect_fail sign 'align' "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --align 3 "$V/in.bin" o.bin
  ;;
sign_pad_needs_slot_size)
  expect_fail sign 'slot-size' "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header --confirm "$V/in.bin" o.bin
  ;;

# ---- differential: one backend signs, the other checks --------------------------
diff_openssl_signs_mbedtls_checks|diff_mbedtls_signs_openssl_checks)
  need_mbedtls
  if [ "$name" = diff_openssl_signs_mbedtls_checks ]; then
    signer=$MS_CLI; checker=$MS_CLI_MBEDTLS
  else
    signer=$MS_CLI_MBEDTLS; checker=$MS_CLI
  fi
  "$signer" keygen -k s.pem >/dev/null
  "$signer" keygen -k e.pem --enc >/dev/null
  "$signer" getpub -k e.pem -o e-pub.pem
  "$signer" sign -k s.pem "${base_opts[@]}" -E e-pub.pem -s auto --confirm "$V/in.bin" out.bin \
    >/dev/null || die "sign"
  "$checker" verify -k s.pem --enc-key e.pem out.bin >/dev/null || die "verify"
  "$checker" decrypt --enc-key e.pem out.bin dec.bin >/dev/null || die "decrypt"
  check payload dec.bin "$V/in.bin"
  "$checker" verify -k s.pem dec.bin >/dev/null || die "verify decrypted"
  [ "$("$checker" getpub -k s.pem -e hash)" = "$("$signer" getpub -k s.pem -e hash)" ] \
    || die "key hashes differ between backends"
  ;;

# ---- error catalogue: each rejection has its own one-line reason ---------------
error_wrong_magic)
  cp "$V/plain.bin" bad.bin
  printf '\x00' | dd of=bad.bin bs=1 seek=0 conv=notrunc status=none
  expect_fail verify 'magic' "$MS_CLI" verify -k "$V/k.pem" bad.bin
  expect_fail inspect 'magic' "$MS_CLI" inspect bad.bin
  ;;
error_truncated_image)
  head -c 66000 "$V/plain.bin" >bad.bin
  expect_fail verify 'truncat|past the end' "$MS_CLI" verify -k "$V/k.pem" bad.bin
  head -c 20 "$V/plain.bin" >short.bin
  expect_fail verify 'truncat' "$MS_CLI" verify -k "$V/k.pem" short.bin
  ;;
error_bad_signature)
  cp "$V/plain.bin" bad.bin
  # last byte of the image is inside the ECDSA signature's s value
  size=$(stat -c %s bad.bin)
  printf '\x5a' | dd of=bad.bin bs=1 seek=$((size - 1)) conv=notrunc status=none
  expect_fail verify 'signature' "$MS_CLI" verify -k "$V/k.pem" bad.bin
  ;;
error_wrong_key)
  "$MS_CLI" keygen -k other.pem >/dev/null
  expect_fail verify 'untrusted key' "$MS_CLI" verify -k other.pem "$V/plain.bin"
  ;;
error_flipped_payload_bit)
  cp "$V/plain.bin" bad.bin
  b=$(od -An -tu1 -j 4096 -N1 bad.bin | tr -d ' ')
  printf "\\x$(printf %02x $((b ^ 1)))" | dd of=bad.bin bs=1 seek=4096 conv=notrunc status=none
  expect_fail verify 'hash mismatch' "$MS_CLI" verify -k "$V/k.pem" bad.bin
  ;;
error_wrong_enc_key)
  "$MS_CLI" keygen -k wrong.pem --enc >/dev/null
  expect_fail verify 'unwrap|encryption key' "$MS_CLI" verify -k "$V/k.pem" --enc-key wrong.pem "$V/enc.bin"
  expect_fail decrypt 'encryption key' "$MS_CLI" decrypt --enc-key wrong.pem "$V/enc.bin" out.bin
  [ ! -e out.bin ] || die "decrypt wrote an output with the wrong key"
  ;;
error_oversized_for_slot)
  expect_fail sign 'does not fit' "$MS_CLI" sign -k "$V/k.pem" -v 1.0.0 --pad-header -S 0x10000 \
    "$V/in.bin" out.bin
  [ ! -e out.bin ] || die "an output was written"
  ;;
error_missing_file)
  expect_fail verify 'cannot open.*no-such.bin' "$MS_CLI" verify -k "$V/k.pem" no-such.bin
  expect_fail sign 'cannot open.*no-such.pem' "$MS_CLI" sign -k no-such.pem -v 1.0.0 "$V/in.bin" o.bin
  expect_fail inspect 'cannot open' "$MS_CLI" inspect no-such.bin
  ;;
error_bad_version_string)
  for v in 1.x 256.0.0 1.2.3+ 01.2.3 1.2.65536 "" 1..2; do
    expect_fail sign 'version' "$MS_CLI" sign -k "$V/k.pem" -v "$v" --pad-header "$V/in.bin" o.bin
  done
  ;;
error_unknown_option)
  for verb in keygen getpub sign verify decrypt inspect; do
    expect_fail "$verb" "unknown option '--frobnicate'" "$MS_CLI" "$verb" --frobnicate
  done
  expect_fail sign "needs a value" "$MS_CLI" sign --key
  ;;
error_unknown_verb)
  rc=0; "$MS_CLI" frobnicate 2>err.txt || rc=$?
  [ "$rc" -eq 2 ] || die "exit status $rc, want 2"
  grep -q "unknown verb 'frobnicate'" err.txt || die "message"
  ;;
error_key_file_not_a_key)
  echo "not a key" >bad.pem
  expect_fail verify 'malformed or unsupported key' "$MS_CLI" verify -k bad.pem "$V/plain.bin"
  ;;
error_exit_statuses)
  rc=0; "$MS_CLI" verify -k "$V/k.pem" --bogus x 2>/dev/null || rc=$?; [ $rc -eq 2 ] || die "usage: $rc"
  rc=0; "$MS_CLI" verify -k "$V/k.pem" nope.bin 2>/dev/null || rc=$?; [ $rc -eq 3 ] || die "io: $rc"
  "$MS_CLI" keygen -k o.pem >/dev/null
  rc=0; "$MS_CLI" verify -k o.pem "$V/plain.bin" 2>/dev/null || rc=$?; [ $rc -eq 1 ] || die "reject: $rc"
  ;;

# ---- keys -----------------------------------------------------------------------
keygen_writes_private_pkcs8_mode_0600)
  "$MS_CLI" keygen -k new.pem >/dev/null || die "keygen"
  [ "$(stat -c %a new.pem)" = 600 ] || die "mode is $(stat -c %a new.pem)"
  head -1 new.pem | grep -qx -- '-----BEGIN PRIVATE KEY-----' || die "not PKCS#8 PEM"
  openssl pkey -in new.pem -noout -text | grep -q 'NIST CURVE: P-256' || die "not a P-256 key"
  ;;
keygen_refuses_to_overwrite_without_force)
  "$MS_CLI" keygen -k new.pem >/dev/null
  before=$(sha256sum new.pem)
  expect_fail keygen 'already exists' "$MS_CLI" keygen -k new.pem
  [ "$(sha256sum new.pem)" = "$before" ] || die "key was changed"
  chmod 644 new.pem
  "$MS_CLI" keygen -k new.pem --force >/dev/null || die "--force"
  [ "$(sha256sum new.pem)" != "$before" ] || die "--force did not replace the key"
  [ "$(stat -c %a new.pem)" = 600 ] || die "replaced key is not 0600"
  ;;
keygen_keys_sign_and_verify)
  "$MS_CLI" keygen -k s.pem >/dev/null
  "$MS_CLI" sign -k s.pem -v 0.1.0 --pad-header "$V/in.bin" out.bin >/dev/null
  "$MS_CLI" verify -k s.pem out.bin >/dev/null || die "verify"
  ;;
getpub_pem_matches_openssl)
  "$MS_CLI" getpub -k "$V/k.pem" >ours.pem || die "getpub"
  openssl pkey -in "$V/k.pem" -pubout >theirs.pem
  cmp ours.pem theirs.pem || die "PEM differs from openssl's"
  ;;
getpub_hash_is_the_images_keyhash)
  [ "$("$MS_CLI" getpub -k "$V/k.pem" -e hash)" = "$(python3 "$MS_IMGCHECK" field "$V/plain.bin" 0x01)" ] \
    || die "getpub hash differs from the KEYHASH TLV imgtool wrote"
  ;;
getpub_c_array_holds_the_spki)
  "$MS_CLI" getpub -k "$V/k.pem" -e c >key.c || die "getpub -e c"
  grep -q 'ecdsa_pub_key_len = 91;' key.c || die "length line"
  want=$("$MS_CLI" getpub -k "$V/k.pem" -e der | od -An -tx1 -v | tr -d ' \n')
  got=$(grep -o '0x[0-9a-f][0-9a-f]' key.c | tr -d '\n' | sed 's/0x//g')
  [ "$got" = "$want" ] || die "C array is not the SPKI DER"
  ;;

# ---- hygiene ------------------------------------------------------------------
help_for_every_verb)
  "$MS_CLI" --help >h.txt || die "--help"
  for verb in keygen getpub sign verify decrypt inspect; do
    grep -q "^  $verb " h.txt || die "--help does not list $verb"
    "$MS_CLI" "$verb" --help >vh.txt || die "$verb --help"
    grep -q "^usage: meterseal $verb" vh.txt || die "$verb --help has no usage line"
  done
  "$MS_CLI" sign --help >sh.txt
  for o in --key --header-size --pad-header --align --version --slot-size --pad --confirm \
           --security-counter --encrypt --encrypt-keylen --load-addr --public-key-format \
           --max-sectors --overwrite-only --max-align --dependencies; do
    grep -q -- "$o" sh.txt || die "sign --help lacks $o"
  done
  ;;
secrets_never_printed)
  outs=()
  run() { local n=${#outs[@]}; "$@" >"o$n.txt" 2>"e$n.txt" || true; outs+=("o$n.txt" "e$n.txt"); }
  for key in "$V/k.pem" "$V/enc.pem"; do
    run "$MS_CLI" getpub -k "$key"
    run "$MS_CLI" getpub -k "$key" -e der
    run "$MS_CLI" getpub -k "$key" -e c
    run "$MS_CLI" getpub -k "$key" -e hash
  done
  run "$MS_CLI" keygen -k fresh.pem
  run "$MS_CLI" keygen -k fresh.pem
  run "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" -E "$V/enc.pem" -s 7 --confirm "$V/in.bin" a.bin
  run "$MS_CLI" sign -k "$V/k.pem" "${base_opts[@]}" -S 0x100 "$V/in.bin" b.bin
  run "$MS_CLI" sign -k "$V/k.pem" -v 1.x "$V/in.bin" b.bin
  run "$MS_CLI" verify -k "$V/k.pem" --enc-key "$V/enc.pem" a.bin
  run "$MS_CLI" verify -k "$V/enc.pem" --enc-key "$V/k.pem" a.bin
  run "$MS_CLI" decrypt --enc-key "$V/enc.pem" a.bin -
  run "$MS_CLI" decrypt --enc-key "$V/k.pem" a.bin d.bin
  run "$MS_CLI" inspect a.bin
  run "$MS_CLI" inspect --json a.bin
  run "$MS_CLI" inspect "$V/k.pem"
  check secrets "$V/k.pem" "${outs[@]}"
  check secrets "$V/enc.pem" "${outs[@]}"
  check secrets fresh.pem "${outs[@]}"
  ;;

*)
  die "unknown test"
  ;;
esac
echo "PASS [$name]"
