package dev.canaryrelease.lb.domain;

/**
 * The admin state of a server in HAProxy, as set with {@code set server <b>/<s> state <x>}. HAProxy
 * keeps it as bits ({@code srv_admin_state} of {@code show servers state}): any maintenance bit
 * (forced, inherited, config, resolution, hostname) is MAINT; a drain bit is DRAIN; none is READY.
 */
public enum AdminState {
    READY,
    DRAIN,
    MAINT;

    private static final int MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
    private static final int DRAIN_BITS = 0x08 | 0x10;

    /** From {@code srv_admin_state}. */
    public static AdminState ofBits(int bits) {
        if ((bits & MAINT_BITS) != 0) {
            return MAINT;
        }
        if ((bits & DRAIN_BITS) != 0) {
            return DRAIN;
        }
        return READY;
    }

    /** The word of the {@code set server ... state} command. */
    public String command() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
