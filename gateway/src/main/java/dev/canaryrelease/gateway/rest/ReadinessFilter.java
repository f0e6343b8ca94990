package dev.canaryrelease.gateway.rest;

import java.util.Optional;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import dev.canaryrelease.gateway.messaging.ReplayTracker;

/**
 * 503 on the operator API and the event stream until the read model has replayed the topics up to
 * their end offsets at start: before that, a release could look unknown. (The webhook holds a push
 * until the replay is done instead, see {@link WebhookResource}.)
 */
public class ReadinessFilter {
    private final ReplayTracker replay;

    public ReadinessFilter(ReplayTracker replay) {
        this.replay = replay;
    }

    @ServerRequestFilter
    public Optional<Response> notBeforeReplay(ContainerRequestContext ctx) {
        if (replay.ready()) {
            return Optional.empty();
        }
        String path = ctx.getUriInfo().getPath();
        if (path.startsWith("/releases")
                || path.startsWith("/events")
                || path.startsWith("/apps")) {
            return Optional.of(
                    Response.fromResponse(
                                    Problems.of(
                                            503,
                                            "the read model is replaying the event topics",
                                            "lag",
                                            replay.lag()))
                            .header("Retry-After", "1")
                            .build());
        }
        return Optional.empty();
    }
}
