package dev.canaryrelease.deploy.messaging;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.canaryrelease.events.messaging.EventOutbox;

/**
 * Readiness {@value #NAME}: DOWN while an event the service decided has waited more than {@link
 * #STALE} for Kafka's acknowledgement (the broker is away: releases wait, nothing is lost); its
 * data says how many wait and since when.
 */
@Readiness
@ApplicationScoped
public class OutboxHealthCheck implements HealthCheck {
    /** The check's name in {@code /q/health/ready}. */
    public static final String NAME = "deploy-outbox";

    /** How long the oldest unacknowledged event may wait before readiness is DOWN. */
    static final Duration STALE = Duration.ofSeconds(30);

    private final DeployEngine engine;

    public OutboxHealthCheck(DeployEngine engine) {
        this.engine = engine;
    }

    @Override
    public HealthCheckResponse call() {
        EventOutbox outbox = engine.outbox();
        var oldest = outbox.oldestSince();
        boolean stale = oldest.map(t -> t.plus(STALE).isBefore(Instant.now())).orElse(false);
        var b =
                HealthCheckResponse.named(NAME)
                        .status(!stale)
                        .withData("pending", outbox.pending());
        oldest.ifPresent(t -> b.withData("oldestSince", t.toString()));
        return b.build();
    }
}
