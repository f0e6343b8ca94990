package dev.canaryrelease.dns.domain;

/**
 * A DNS change or read failed; the message is the reason shown to users (in {@code
 * dns.update-failed} and {@code GET /records}). It never contains a secret.
 */
public class DnsException extends Exception {
    private final boolean prerequisiteFailed;

    public DnsException(String reason) {
        this(reason, false);
    }

    public DnsException(String reason, boolean prerequisiteFailed) {
        super(reason);
        this.prerequisiteFailed = prerequisiteFailed;
    }

    /** The target changed since it was read: read again and retry. */
    public boolean prerequisiteFailed() {
        return prerequisiteFailed;
    }
}
