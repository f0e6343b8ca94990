package dev.canaryrelease.lb.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the wanted states have been replayed (see {@link LbReplay}). */
@Readiness
@ApplicationScoped
public class ReplayHealthCheck implements HealthCheck {
    /** The check's name in {@code /q/health/ready}. */
    public static final String NAME = "lb-events-replay";

    private final LbReplay replay;

    public ReplayHealthCheck(LbReplay replay) {
        this.replay = replay;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named(NAME).status(replay.done());
        replay.lag().forEach(b::withData);
        return b.build();
    }
}
