package dev.esm.core.model;

import java.util.Objects;

/**
 * The CPU a running domain's guest sees, as its live definition names it: the {@code <cpu>} element with a model
 * (libvirt expands {@code host-model} into one when the domain starts), and what it runs on. Another host can be asked
 * whether its hypervisor can give a guest that CPU ({@code virConnectCompareHypervisorCPU}).
 *
 * @param arch the guest architecture ({@code x86_64})
 * @param machine the machine type ({@code pc-i440fx-7.2})
 * @param virtType the domain type ({@code kvm}, {@code qemu})
 * @param xml the {@code <cpu>} element
 */
public record GuestCpu(String arch, String machine, String virtType, String xml) {
    public GuestCpu {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(machine, "machine");
        Objects.requireNonNull(virtType, "virtType");
        Objects.requireNonNull(xml, "xml");
    }
}
