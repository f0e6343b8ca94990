package dev.canaryrelease.events.model;

/**
 * lb-service: a server's admin state differed from the wanted one and was put back ({@code wanted}
 * and {@code found} are {@code ready}, {@code drain} or {@code maint}), or its weight did ({@code
 * weight 19} against {@code weight 1}: a reload lost a weighted canary's weights).
 */
public record LbDriftCorrected(
        String releaseId,
        String loadBalancer,
        String backend,
        String server,
        String wanted,
        String found)
        implements CanaryEvent {
    /** Whether it is a weight that was put back, not an admin state. */
    public boolean weight() {
        return wanted != null && wanted.startsWith("weight ");
    }
}
