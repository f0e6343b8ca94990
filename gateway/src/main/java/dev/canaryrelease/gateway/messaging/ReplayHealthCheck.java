package dev.canaryrelease.gateway.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the read model has replayed the topics (see {@link ReplayTracker}). */
@Readiness
@ApplicationScoped
public class ReplayHealthCheck implements HealthCheck {
    private final ReplayTracker replay;

    public ReplayHealthCheck(ReplayTracker replay) {
        this.replay = replay;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("read-model-replay").status(replay.ready());
        replay.lag().forEach(b::withData);
        return b.build();
    }
}
