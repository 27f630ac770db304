"""Driver defects of knowledge/kernel_fixes.yaml (the records after `# drivers`): each is matched
on a real public paste and its fix is among the first three steps; the conditions that tie it
(function, module, order) each fail it when changed.

The pastes are corpus cases of folds 1-4 (never held out: test_the_cases_are_not_held_out) or
files under tests/data/kernel_fixes/ (README there)."""

from __future__ import annotations

from pathlib import Path

from oomcases import first_steps as _steps
from oomcases import is_held_out, load_case
from oomcases import kernel_fix_ids as _ids

from bot.pipeline import analyze
from grammar.parse import parse_text

DATA = Path(__file__).resolve().parent / "data" / "kernel_fixes"
AMDGPU = "lore-53rc2-amdgpu-dc-state-order4-kvmalloc"  # lore 20190805032114.8740-1-hdanton@sina.com


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in (AMDGPU,) if is_held_out(c)]


def test_amdgpu_dc_state_order4_kzalloc_names_the_kvmalloc_fix() -> None:
    # Mikhail Gavrilov's 5.3.0-rc2 Xorg report (the second event; the first is a header quoted in
    # prose): order 4 from dc_create_state [amdgpu]; 'drm/amd/display: use kvmalloc for dc_state
    # (v2)', in 5.3-rc5
    text = load_case(AMDGPU)[0].decode()
    assert _ids(text, 1) == ["amdgpu-dc-state-kzalloc-order4"]
    top = analyze(text).events[1].findings[0]
    assert top.code == "OOM606" and top.role == "root-cause"
    assert any("use kvmalloc for dc_state" in s for s in _steps(text, 1))
    assert _ids(text.replace("order:4, mode:0x40dc0", "order:2, mode:0x40dc0"), 1) == []
    assert _ids(text.replace("dc_create_state", "dc_create_plane"), 1) == []
    assert _ids(text.replace("[amdgpu]", "[radeonx]"), 1) == []


ATH11K = "lore-68rc3-x86-ath11k-mhi-order4-noio-resume"  # lore 20240329123316.3085691-13-sashal@kernel.org
NOUVEAU = "lore-6178-fc43-nouveau-fwsec-sb-order5-runtime-pm"  # lore 20251202175918.63533-1-lyude@redhat.com


def test_ath11k_mhi_channel_buffers_name_the_8k_fix() -> None:
    # 6.8-rc3 order-4 GFP_NOIO failure in mhi_prepare_channel at ath11k_core_resume;
    # 1cca1bddf9ef ('wifi: ath11k: decrease MHI channel buffer length to 8KB') makes it order 1
    assert not is_held_out(ATH11K)
    text = load_case(ATH11K)[0].decode()
    assert _ids(text) == ["ath11k-mhi-channel-buffer-order4"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "1cca1bddf9ef" in top.remediation[0]
    assert _ids(text.replace("order:4, mode", "order:1, mode")) == []  # the fixed 8 KiB request
    assert _ids(text.replace("[ath11k ", "[qcom_modem ").replace("[ath11k_pci ", "[qcom_modem_pci ")) == []
    assert (
        _ids(text.replace("mhi_prepare_channel", "mhi_init_channel").replace("__mhi_prepare_for_transfer", "x")) == []
    )


def test_nouveau_fwsec_sb_at_runtime_suspend_names_the_boot_allocation() -> None:
    # 6.17.8 order-5 GFP_KERNEL failure under nvkm_gsp_fwsec_sb at runtime suspend; da67179e5538
    # ('drm/nouveau/gsp: Allocate fwsec-sb at boot') allocates it once at load
    assert not is_held_out(NOUVEAU)
    text = load_case(NOUVEAU)[0].decode()
    assert _ids(text) == ["nouveau-gsp-fwsec-sb-order5-at-suspend"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "da67179e5538" in top.remediation[0] and "nouveau.runpm=0" in top.remediation[0]
    assert "e100-cbs-realloc-order5-at-open" not in _ids(text.replace("order:5, mode", "order:2, mode"))
    assert _ids(text.replace("nvkm_gsp_fwsec_sb+", "nvkm_gsp_fwsec_sb_ctor+")) == []  # the fixed load-time allocation
    assert _ids(text.replace("[nouveau]", "[nvidia_x]")) == []


VIRTIO = "lore-2629-x86_64-virtio-net-rx-refill-order0-atomic"  # lore 20090713115158.0a4892b0@mjolnir.ossman.eu


def test_virtio_net_refill_that_never_retried_is_bounded_to_its_releases() -> None:
    # 2.6.29.5 KVM guest: an order-0 GFP_ATOMIC failure in try_fill_recv and the network dies;
    # 3161e453e496 ('virtio: net refill on out-of-memory') retries from a work item
    assert not is_held_out(VIRTIO)
    text = load_case(VIRTIO)[0].decode()
    assert _ids(text) == ["virtio-net-atomic-refill-never-retried"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "3161e453e496" in top.remediation[0]
    # a later kernel retries the refill: the same report there is not this defect
    assert _ids(text.replace("2.6.29.5-84.fc10.x86_64", "2.6.32.9-70.fc12.x86_64")) == []
    assert _ids(text.replace("[virtio_net]", "[xen_netfront]")) == []


ATL1C = "lore-43-i686-atl1c-resume-order4-atomic"  # lore 20151127082010.GA2500@dhcp22.suse.cz


def test_atl1c_atomic_ring_allocation_names_the_gfp_kernel_fix() -> None:
    # 4.3 after s2ram: order-4 GFP_ATOMIC failure from atl1c_open, 'pci_alloc_consistend failed';
    # Pavel Machek's 'atl1c: Improve driver not to do order 4 GFP_ATOMIC allocation' (net, 2015-12)
    assert not is_held_out(ATL1C)
    text = load_case(ATL1C)[0].decode()
    assert _ids(text) == ["atl1c-ring-gfp-atomic-order4"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "Improve driver not to do order 4 GFP_ATOMIC" in top.remediation[0]
    assert _ids(text.replace("4.3.0+ #124", "4.5.0+ #124")) == []  # the fixed driver
    assert _ids(text.replace("atl1c_open", "e1000_open")) == []
    assert _ids(text.replace("order:4,", "order:2,")) == []


E100 = "lore-2632rc7-i686-e100-resume-order5-atomic"  # lore 20091116120845.GA10115@bizet.domek.prywatny


def test_e100_command_blocks_reallocated_at_open_name_the_pool() -> None:
    # 2.6.32-rc7: order-5 mode:0x8020 failures from e100_alloc_cbs at ifconfig up after resume;
    # later e100 drivers take the blocks from cbs_pool, a pool created at probe
    assert not is_held_out(E100)
    text = load_case(E100)[0].decode()
    assert _ids(text) == ["e100-cbs-realloc-order5-at-open"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "cbs_pool" in top.remediation[0]
    assert _ids(text.replace("2.6.32-rc7-dirty", "2.6.35-rc7-dirty")) == []
    assert "e100-cbs-realloc-order5-at-open" not in _ids(text.replace("order:5, mode", "order:2, mode"))
    assert _ids(text.replace("e100_alloc_cbs", "e100_alloc_rbs")) == []


IPW2200 = "lore-231rc6-ipw2200-fw-reload-order6-atomic"  # lore 200908151856.48596.bzolnier@gmail.com


def test_ipw2200_whole_firmware_buffer_names_the_chunked_rework() -> None:
    # 2.6.31-rc6: order-6 mode:0x8020 failure from ipw_load_firmware after a firmware restart;
    # Zhu Yi's 'ipw2200: firmware DMA loading rework' loads it in pool chunks
    assert not is_held_out(IPW2200)
    text = load_case(IPW2200)[0].decode()
    dump = parse_text(text)
    traced = [i for i, e in enumerate(dump.events) if "ipw_load_firmware" in e.call_trace]
    assert traced
    assert _ids(text, traced[0]) == ["ipw2200-firmware-one-buffer-order6"]
    assert any("firmware DMA loading rework" in s for s in _steps(text, traced[0]))
    assert "ipw2200-firmware-one-buffer-order6" not in _ids(text.replace("order:6, mode", "order:1, mode"), traced[0])
    assert _ids(text.replace("[ipw2200]", "[ipw2100]"), traced[0]) == []


def _fix_first(text: str, rid: str, *named: str) -> None:
    """The record ``rid`` alone matches, and its fix (naming each of ``named``) is the root cause's first step."""
    assert _ids(text) == [rid]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and top.role == "root-cause"
    assert all(name in top.remediation[0] for name in named)


IPMI = "lore-55-ipmi-create-user-order4-vzalloc"  # lore 1587099689-13678-1-git-send-email-feng.tang@intel.com


def test_ipmi_user_order4_kmalloc_names_the_vzalloc_fix_and_its_stable_releases() -> None:
    # Feng Tang's patch mail (5.5.0): bmc-watchdog's order-4 failure from ipmi_create_user
    # [ipmi_msghandler]; 7c47a219b95d ('ipmi: use vzalloc instead of kmalloc for user creation'),
    # in 5.8 and stable 4.19.130, 5.4.49, 5.7.6
    assert not is_held_out(IPMI)
    text = load_case(IPMI)[0].decode()
    rid = "ipmi-create-user-srcu-order4"
    _fix_first(text, rid, "7c47a219b95d", "5.4.49")
    # the conditions that tie it: the function, the module, a costly order, an unfixed release
    assert _ids(text.replace("order:4, mode", "order:2, mode")) == []
    assert _ids(text.replace("ipmi_create_user+", "ipmi_destroy_user+")) == []
    assert _ids(text.replace("[ipmi_msghandler]", "[ipmi_si]")) == []
    assert _ids(text.replace("5.5.0-00045-g7d6bb61d6188c", "5.4.49")) == []  # a stable release with the fix
    assert _ids(text.replace("5.5.0-00045-g7d6bb61d6188c", "5.4.48")) == [rid]  # the one before


HID = "lore-arm64-hid-register-field-order4-kvzalloc"  # lore 20240522080328.12317-1-hailong.liu@oppo.com


def test_hid_report_field_order4_kzalloc_names_the_kvzalloc_fix() -> None:
    # Hailong Liu's patch mail: an arm64 order-4 failure from hid_add_field (mt_probe through
    # uhid_device_add_worker), its frames quoted after the timestamp as ']: name+0x..'; 748fe4399f91
    # ('HID: Use kvzalloc instead of kzalloc in hid_register_field()'), in 6.11
    assert not is_held_out(HID)
    text = load_case(HID)[0].decode()
    rid = "hid-register-field-kzalloc-order4"
    _fix_first(text, rid, "748fe4399f91", "6.11")
    assert _ids(text.replace("order:4, mode", "order:2, mode")) == []
    assert _ids(text.replace("hid_add_field+", "hid_add_usage+")) == []


def test_bnxt_tpa_aggregation_arrays_order5_name_the_split_allocation() -> None:
    # the 5.10.156 report in accd7e23693a's changelog (stable review mail
    # 20230315115733.882629268@linuxfoundation.org): order 5 from bnxt_alloc_mem [bnxt_en] at
    # bnxt_open; fixed in 6.3 and stable 5.10.175, 6.1.20 (tests/data/kernel_fixes/README.md)
    text = (DATA / "lore-510-bnxt-alloc-tpa-info-order5.log").read_text("utf-8")
    rid = "bnxt-tpa-agg-array-order5"
    _fix_first(text, rid, "accd7e23693a", "5.10.175")
    assert _ids(text.replace("order:5, mode", "order:3, mode")) == []
    assert _ids(text.replace("[bnxt_en]", "[tg3]")) == []
    assert _ids(text.replace("bnxt_alloc_mem+", "bnxt_alloc_stats+")) == []
    assert _ids(text.replace("5.10.156", "5.10.175")) == []  # the stable release with the fix
    assert _ids(text.replace("5.10.156", "6.1.19")) == [rid]


def test_xen_privcmd_mmapbatch_page_array_names_the_kvcalloc_fix() -> None:
    # Jan Beulich's reading of an osstest failure (xen-devel, 16 Sep 2021,
    # d049ba60-db81-aaa4-1769-54c6964cfd06@suse.com): an arm64 dom0 on 5.4.17, rpc-worker's order-4
    # failure through alloc_empty_pages <- privcmd_ioctl_mmap_batch; 0432523f4807, in 5.15
    case = "lore-arm64-xen-privcmd-order4-kvcalloc-osstest"  # a corpus case outside fold 0
    assert not is_held_out(case)
    text = load_case(case)[0].decode()
    rid = "xen-privcmd-alloc-empty-pages-kcalloc"
    assert _ids(text) == [rid]
    assert any("0432523f4807" in s and "dom0_mem=" in s for s in _steps(text))
    assert _ids(text.replace("order:4,", "order:2,")) == []
    # the whole path: the helper's name alone, under another ioctl, is not privcmd's
    assert (
        _ids(text.replace("privcmd_ioctl_mmap_batch", "gntdev_ioctl_map").replace("privcmd_ioctl+", "gntdev_ioctl+"))
        == []
    )


def test_nouveau_gsp_radix3_page_table_at_runtime_suspend_names_the_sg_fix() -> None:
    # the 6.8.6 report in 6f572a805457's changelog as posted for 6.8 stable
    # (20240514101049.982000890@linuxfoundation.org): order 7 from nvkm_gsp_radix3_sg [nouveau]
    # under r535_gsp_fini at runtime suspend; fixed in 6.9
    text = (DATA / "lore-686-nouveau-gsp-radix3-order7-runtime-suspend.log").read_text("utf-8")
    rid = "nouveau-gsp-radix3-level2-coherent-order7"
    _fix_first(text, rid, "6f572a805457", "nouveau.runpm=0")
    assert _ids(text.replace("order:7,", "order:2,")) == []
    assert _ids(text.replace("[nouveau]", "[nvidia_x]")) == []
    assert _ids(text.replace("6.8.6-201", "6.9.1-201")) == []  # the first release with the fix
    assert _ids(text.replace("nvkm_gsp_radix3_sg+", "nvkm_gsp_sg+")) == []
