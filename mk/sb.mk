# Secure Boot signing at build time, and the boot folder a server serves.
#
#   make SB_KEY=DIR/db.key SB_CERT=DIR/db.crt     (DIR from `strata-image sb keygen DIR`)
#
# fills $(BOOT_OUT) (default $(BUILD)/boot) with what strata-server's ROOT/boot/ holds:
# strata.efi and strata-enroll.efi signed with sbsign (Debian's sbsigntool), iPXE's
# snponly.efi and ipxe.efi from $(IPXE_DIR) signed with the same key, undionly.kpxe (BIOS:
# no Secure Boot), and DIR's db.auth, KEK.auth and PK.auth that strata-enroll.efi fetches.
# With a key configured, no unsigned EFI image ever lands in $(BOOT_OUT): each is signed
# into a temporary name, checked with sbverify, then renamed.  Without one, the folder
# holds the same files unsigned.  Changing the key (or dropping it) rebuilds them.
# $(EFI_OUT)'s images stay unsigned whatever the key: only $(BOOT_OUT) is signed, so
#   make SB_KEY=... SB_CERT=... BOOT_OUT=/tmp/boot boot
# signs into another folder and leaves the build's own files alone (tests/integration/
# sb-sign.sh does that).

SB_KEY ?=
SB_CERT ?=
IPXE_DIR ?= /usr/lib/ipxe
BOOT_OUT ?= $(BUILD)/boot
SB_SIGNER := $(BOOT_OUT)/.sb-signer

ifneq ($(if $(SB_KEY),1,)$(if $(SB_CERT),1,),)
ifeq ($(SB_KEY),)
$(error SB_CERT is set but not SB_KEY: give both, e.g. SB_KEY=DIR/db.key SB_CERT=DIR/db.crt)
endif
ifeq ($(SB_CERT),)
$(error SB_KEY is set but not SB_CERT: give both, e.g. SB_KEY=DIR/db.key SB_CERT=DIR/db.crt)
endif
ifeq ($(wildcard $(SB_KEY)),)
$(error SB_KEY=$(SB_KEY): no such file; make the lab's keys with `strata-image sb keygen DIR` and give SB_KEY=DIR/db.key)
endif
ifeq ($(wildcard $(SB_CERT)),)
$(error SB_CERT=$(SB_CERT): no such file; make the lab's keys with `strata-image sb keygen DIR` and give SB_CERT=DIR/db.crt)
endif
endif

# Which key signs, as a file that changes only when the key does (like pubkey.c).
$(SB_SIGNER): FORCE
	@mkdir -p $(@D)
	@$(if $(SB_KEY),echo "signed with $(SB_KEY): $$(sha256sum < $(SB_CERT))",echo unsigned) \
		> $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# sb_sign IN OUT: OUT is IN signed with SB_KEY (checked), or a plain copy without a key.
# Never leaves an unsigned OUT behind when a key is set.
sb_sign = $(if $(SB_KEY),sbsign --key $(SB_KEY) --cert $(SB_CERT) --output $(2).tmp $(1) \
	2>&1 | grep -v 'gaps between PE/COFF sections' >&2; \
	sbverify --cert $(SB_CERT) $(2).tmp >/dev/null || { rm -f $(2).tmp; exit 1; }; \
	mv $(2).tmp $(2),cp $(1) $(2).tmp && mv $(2).tmp $(2))

BOOT_FILES := $(BOOT_OUT)/strata.efi $(BOOT_OUT)/strata-enroll.efi $(BOOT_OUT)/snponly.efi \
	      $(BOOT_OUT)/ipxe.efi $(BOOT_OUT)/undionly.kpxe
# The enrollment payloads, when the key's folder has them (made by sb keygen).
SB_AUTH := $(if $(SB_KEY),$(wildcard $(addprefix $(dir $(SB_KEY)),db.auth KEK.auth PK.auth)))
BOOT_FILES += $(addprefix $(BOOT_OUT)/,$(notdir $(SB_AUTH)))

# The signature counts in EFI_SIZE_BUDGET (mk/efi.mk): the signed copy must fit too.
$(BOOT_OUT)/strata.efi $(BOOT_OUT)/strata-enroll.efi: $(BOOT_OUT)/%: $(EFI_OUT)/% $(SB_SIGNER)
	@mkdir -p $(@D)
	$(call sb_sign,$<,$@)
	@size=$$(stat -c %s $@); [ $$size -le $(EFI_SIZE_BUDGET) ] || \
		echo "$@: WARNING: $$size bytes, over the size budget"
$(BOOT_OUT)/snponly.efi $(BOOT_OUT)/ipxe.efi: $(BOOT_OUT)/%: $(IPXE_DIR)/% $(SB_SIGNER)
	@mkdir -p $(@D)
	$(call sb_sign,$<,$@)
$(BOOT_OUT)/undionly.kpxe: $(IPXE_DIR)/undionly.kpxe
	@mkdir -p $(@D)
	cp $< $@
$(BOOT_OUT)/%.auth: $(dir $(SB_KEY))%.auth
	@mkdir -p $(@D)
	install -m 0644 $< $@

boot: $(BOOT_FILES)
.PHONY: boot
ALL_TARGETS += $(BOOT_FILES)
