package dev.canaryrelease.gateway.rest;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.canaryrelease.common.auth.TokenAuth;
import dev.canaryrelease.common.auth.Tokens.Role;
import dev.canaryrelease.events.EventType;
import dev.canaryrelease.gateway.domain.EventLog;
import dev.canaryrelease.gateway.domain.StreamCursor;

/**
 * {@code GET /events}: every CloudEvent of the suite as Server-Sent Events, from the beginning or
 * from a {@code Last-Event-ID}. The SSE id is a {@link StreamCursor}; the data is the CloudEvent in
 * structured JSON.
 */
@Path("/events")
@ApplicationScoped
@Tag(name = "events", description = "Live stream of every CloudEvent")
@SecurityRequirement(name = GatewayApi.BEARER)
public class EventStreamResource {
    private final EventLog log;
    private final TokenAuth auth;
    private final ExecutorService senders =
            Executors.newFixedThreadPool(
                    2,
                    r -> {
                        Thread t = new Thread(r, "sse-sender");
                        t.setDaemon(true);
                        return t;
                    });
    private final ScheduledExecutorService sweeper =
            Executors.newSingleThreadScheduledExecutor(
                    r -> {
                        Thread t = new Thread(r, "sse-sweeper");
                        t.setDaemon(true);
                        return t;
                    });
    private final Set<Subscription> subscriptions =
            java.util.concurrent.ConcurrentHashMap.newKeySet();

    public EventStreamResource(EventLog log, TokenAuth auth) {
        this.log = log;
        this.auth = auth;
        sweeper.scheduleWithFixedDelay(this::sweep, 5, 5, TimeUnit.SECONDS);
    }

    /** What a stream shows. */
    record Filter(String release, String app, Set<String> types) {
        boolean matches(EventLog.Logged e) {
            return (release == null || release.equals(e.releaseId()))
                    && (app == null || app.equals(e.app()))
                    && (types.isEmpty() || types.contains(e.type()));
        }
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(
            summary = "Stream every CloudEvent (viewer)",
            description =
                    "Each SSE event's data is one CloudEvent in structured JSON; its id is a cursor"
                            + " (topic:partition:offset of the last record passed in each partition)."
                            + " Send it back as Last-Event-ID to resume with no gap and no repeat.")
    @APIResponse(responseCode = "200", description = "the stream")
    @APIResponse(responseCode = "400", description = "bad Last-Event-ID")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    public void stream(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @HeaderParam("Last-Event-ID") String lastEventId,
            @Parameter(description = "only this release") @QueryParam("release") String release,
            @Parameter(description = "only this app") @QueryParam("app") String app,
            @Parameter(description = "only these types (comma separated; e.g. canary.live)")
                    @QueryParam("type")
                    String type,
            @Parameter(description = "resume point, when the client cannot send Last-Event-ID")
                    @QueryParam("lastEventId")
                    String lastEventIdParam,
            @Context SseEventSink sink,
            @Context Sse sse) {
        auth.require(authorization, Role.VIEWER);
        StreamCursor cursor;
        try {
            cursor = StreamCursor.parse(lastEventId != null ? lastEventId : lastEventIdParam);
        } catch (IllegalArgumentException e) {
            throw new WebApplicationException(
                    Problems.of(400, "bad Last-Event-ID: " + e.getMessage()));
        }
        Set<String> types =
                type == null || type.isBlank()
                        ? Set.of()
                        : Arrays.stream(type.split(","))
                                .map(String::strip)
                                .filter(s -> !s.isEmpty())
                                .map(s -> s.startsWith(EventType.PREFIX) ? s : EventType.PREFIX + s)
                                .collect(Collectors.toSet());
        Subscription s =
                new Subscription(
                        sink,
                        sse,
                        cursor,
                        new Filter(blankToNull(release), blankToNull(app), types));
        subscriptions.add(s);
        log.addListener(s);
        s.start();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private void sweep() {
        for (Subscription s : subscriptions) {
            if (s.sink.isClosed()) {
                s.close();
            }
        }
    }

    int subscriptionCount() {
        return subscriptions.size();
    }

    @PreDestroy
    void stop() {
        subscriptions.forEach(Subscription::close);
        sweeper.shutdownNow();
        senders.shutdownNow();
    }

    /**
     * One client: walks the log from the start, skipping what its cursor has passed, one send at a
     * time; woken by every append.
     */
    final class Subscription implements Runnable {
        private final SseEventSink sink;
        private final Sse sse;
        private final StreamCursor cursor;
        private final Filter filter;
        private long index;
        // true until the opening comment is sent: appends before that wait for start()
        private boolean sending = true;
        private boolean closed;

        Subscription(SseEventSink sink, Sse sse, StreamCursor cursor, Filter filter) {
            this.sink = sink;
            this.sse = sse;
            this.cursor = cursor;
            this.filter = filter;
        }

        /** Sends an opening comment (so the client gets the headers now), then the backlog. */
        void start() {
            sink.send(sse.newEventBuilder().comment("canary-release events").build())
                    .whenComplete(
                            (ok, err) -> {
                                if (err != null) {
                                    close();
                                    return;
                                }
                                synchronized (this) {
                                    sending = false;
                                }
                                run();
                            });
        }

        /** Wakes the sender (called after every append). */
        @Override
        public void run() {
            synchronized (this) {
                if (sending || closed) {
                    return;
                }
                sending = true;
            }
            senders.execute(this::drain);
        }

        private void drain() {
            while (true) {
                EventLog.Logged e;
                synchronized (this) {
                    if (closed) {
                        return;
                    }
                    if (index < log.first()) {
                        index = log.first(); // older entries left the buffer
                    }
                    e = log.get(index);
                    if (e == null) {
                        sending = false;
                        return;
                    }
                    index++;
                }
                boolean fresh = cursor.isAfter(e.topic(), e.partition(), e.offset());
                cursor.pass(e.topic(), e.partition(), e.offset());
                if (!fresh || !filter.matches(e)) {
                    continue;
                }
                OutboundSseEvent event =
                        sse.newEventBuilder()
                                .id(cursor.toString())
                                .mediaType(MediaType.TEXT_PLAIN_TYPE)
                                .data(String.class, e.json())
                                .build();
                sink.send(event)
                        .whenComplete(
                                (ok, err) -> {
                                    if (err != null) {
                                        close();
                                    } else {
                                        senders.execute(this::drain);
                                    }
                                });
                return;
            }
        }

        void close() {
            synchronized (this) {
                closed = true;
            }
            log.removeListener(this);
            subscriptions.remove(this);
            try {
                sink.close();
            } catch (RuntimeException e) {
                // already closed by the client
            }
        }
    }
}
