package dev.canaryrelease.registry.rest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import dev.canaryrelease.common.auth.OwnAuthentication;
import dev.canaryrelease.registry.config.NotificationToken;
import dev.canaryrelease.registry.domain.MalformedNotificationException;
import dev.canaryrelease.registry.domain.ManifestPush;
import dev.canaryrelease.registry.domain.MediaTypes;
import dev.canaryrelease.registry.domain.NotificationParser;
import dev.canaryrelease.registry.domain.PushJournal;
import dev.canaryrelease.registry.messaging.PushWorker;

/**
 * The registry's notification endpoint. It only authenticates, parses, dedupes and queues (a forced
 * append to the push queue file) before answering 200, so the registry's queue never grows; {@link
 * PushWorker} verifies and publishes afterwards.
 */
@Path("/registry/notifications")
// the registry's own door, not an operator's: it checks the notification token (NotificationToken)
@OwnAuthentication
public class NotificationResource {
    private static final Logger LOG = Logger.getLogger(NotificationResource.class);
    private static final Set<String> CONTENT_TYPES =
            Set.of(MediaTypes.EVENTS, MediaType.APPLICATION_JSON);
    private static final int MALFORMED_REMEMBERED = 256;

    /** Bodies already reported as malformed: the registry retries them, the log says it once. */
    private static final Set<String> MALFORMED_LOGGED =
            Collections.newSetFromMap(
                    Collections.synchronizedMap(
                            new LinkedHashMap<>() {
                                @Override
                                protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
                                    return size() > MALFORMED_REMEMBERED;
                                }
                            }));

    /** The answer to an accepted envelope. */
    public record Accepted(int events, int queued, int duplicates, int ignored) {}

    /** The answer to a refused request. */
    public record Problem(String error) {}

    private final NotificationToken token;
    private final PushJournal journal;
    private final PushWorker worker;
    private final MeterRegistry metrics;

    public NotificationResource(
            NotificationToken token,
            PushJournal journal,
            PushWorker worker,
            MeterRegistry metrics) {
        this.token = token;
        this.journal = journal;
        this.worker = worker;
        this.metrics = metrics;
    }

    private void count(String result) {
        metrics.counter("registry.notifications", "result", result).increment();
    }

    private void countEvents(String kind, int n) {
        if (n > 0) {
            metrics.counter("registry.notification.events", "kind", kind).increment(n);
        }
    }

    /**
     * Runs on the event loop: without {@code queue-fsync} the only I/O is an append to the queue
     * file (page cache, microseconds); with it, the request moves to a worker thread for the shared
     * {@code fsync}.
     */
    @POST
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> receive(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            byte[] body) {
        if (!journal.forces()) {
            return Uni.createFrom().item(handle(authorization, contentType, body));
        }
        return Uni.createFrom()
                .item(() -> handle(authorization, contentType, body))
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    Response handle(String authorization, String contentType, byte[] body) {
        if (!token.accepts(authorization)) {
            count("unauthorized");
            return Response.status(Response.Status.UNAUTHORIZED)
                    .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"registry-notifications\"")
                    .entity(new Problem("missing or wrong bearer token"))
                    .build();
        }
        String type = MediaTypes.base(contentType);
        if (type == null || !CONTENT_TYPES.contains(type)) {
            count("unsupported-media-type");
            return Response.status(Response.Status.UNSUPPORTED_MEDIA_TYPE)
                    .entity(
                            new Problem(
                                    "content type must be "
                                            + MediaTypes.EVENTS
                                            + " or "
                                            + MediaType.APPLICATION_JSON))
                    .build();
        }
        NotificationParser.Parsed parsed;
        try {
            parsed = NotificationParser.parse(body);
        } catch (MalformedNotificationException e) {
            count("malformed");
            if (MALFORMED_LOGGED.add(fingerprint(body))) {
                LOG.warnf("malformed registry notification refused: %s", e.getMessage());
            }
            return Response.status(Response.Status.BAD_REQUEST)
                    .entity(new Problem("malformed notification: " + e.getMessage()))
                    .build();
        }
        List<ManifestPush> queued =
                parsed.pushes().isEmpty() ? List.of() : journal.offer(parsed.pushes());
        if (!queued.isEmpty()) {
            worker.submit(queued);
        }
        count("accepted");
        countEvents("queued", queued.size());
        countEvents("duplicate", parsed.pushes().size() - queued.size());
        countEvents("ignored", parsed.ignored());
        return Response.ok(
                        new Accepted(
                                parsed.events(),
                                queued.size(),
                                parsed.pushes().size() - queued.size(),
                                parsed.ignored()))
                .build();
    }

    private static String fingerprint(byte[] body) {
        try {
            byte[] b = body == null ? new byte[0] : body;
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            return new String(body == null ? new byte[0] : body, StandardCharsets.UTF_8);
        }
    }
}
