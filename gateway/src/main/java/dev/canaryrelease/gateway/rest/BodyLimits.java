package dev.canaryrelease.gateway.rest;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import dev.canaryrelease.gateway.config.GatewayConfig;
import dev.canaryrelease.gateway.domain.BodyBudget;

/**
 * The first thing every request meets, before a byte of its body is read (RESTEasy Reactive buffers
 * a body whole before the webhook can check its signature): a {@code Content-Length} over {@code
 * canary.gateway.max-payload-bytes} → 413; a body that no longer fits the budget of unverified
 * bytes ({@code canary.gateway.unverified-body-budget-bytes}) → 503 with {@code Retry-After: 1};
 * both close the connection, so the rest of the body is never read. An admitted body holds its
 * share until the answer is sent or the connection drops, and must arrive within {@code
 * canary.gateway.body-timeout} (else 408). A chunked body reserves the largest size and is cut off
 * at it by Quarkus ({@code quarkus.http.limits.max-body-size}, the same value) with 413.
 */
@ApplicationScoped
public class BodyLimits {
    private static final Logger LOG = Logger.getLogger(BodyLimits.class);

    /** Runs before every other route (Quarkus's own body-size check is at order -2). */
    static final int PRIORITY = 1000;

    /** Reasons given back in {@code {"error": …}}. */
    static final class Reasons {
        static final String TOO_LARGE =
                "a body of %d bytes is over the %d bytes the gateway reads from a sender it has not"
                        + " verified yet";
        static final String BUSY =
                "the gateway is reading as many unverified request bodies as it allows (%d bytes):"
                        + " retry";
        static final String BAD_LENGTH = "Content-Length '%s' is not a number of bytes";
        static final String SLOW = "the body did not arrive within %d ms";

        private Reasons() {}
    }

    /** How often reservations of answered or dropped requests are given back at the latest. */
    static final long SWEEP_MS = 100;

    /** An admitted request's share of the budget. */
    private record Admitted(HttpServerResponse response, long bytes, AtomicBoolean given) {}

    private final Set<Admitted> admittedNow = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean sweeping = new AtomicBoolean();
    private final BodyBudget budget;
    private final long bodyTimeoutMs;
    private final Counter tooLarge;
    private final Counter busy;
    private final Counter slow;

    public BodyLimits(GatewayConfig config, MeterRegistry registry) {
        this.budget = new BodyBudget(config.unverifiedBodyBudgetBytes(), config.maxPayloadBytes());
        this.bodyTimeoutMs = config.bodyTimeout().toMillis();
        Gauge.builder("gateway.unverified.body.bytes", budget, BodyBudget::used)
                .description("request body bytes reserved before their sender was verified")
                .baseUnit("bytes")
                .register(registry);
        this.tooLarge = refusals(registry, "too-large");
        this.busy = refusals(registry, "budget");
        this.slow = refusals(registry, "slow");
    }

    private static Counter refusals(MeterRegistry registry, String reason) {
        return Counter.builder("gateway.body.refused")
                .description("requests refused before their body was read")
                .tag("reason", reason)
                .register(registry);
    }

    /** The budget (for tests and the health of the door). */
    public BodyBudget budget() {
        return budget;
    }

    void register(@Observes Filters filters) {
        filters.register(this::handle, PRIORITY);
    }

    void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        BodyBudget.Admission a =
                budget.admit(
                        req.method().name(),
                        req.getHeader(HttpHeaders.CONTENT_LENGTH),
                        req.getHeader(HttpHeaders.TRANSFER_ENCODING));
        if (a instanceof BodyBudget.NoBody) {
            ctx.next();
        } else if (a instanceof BodyBudget.BadLength b) {
            refuse(ctx, 400, String.format(Reasons.BAD_LENGTH, b.value()), false);
        } else if (a instanceof BodyBudget.TooLarge t) {
            tooLarge.increment();
            refuse(ctx, 413, String.format(Reasons.TOO_LARGE, t.bytes(), budget.maxBody()), false);
        } else if (a instanceof BodyBudget.Reserve r) {
            if (!budget.tryReserve(r.bytes())) {
                busy.increment();
                LOG.debugf(
                        "%s %s: %d body bytes refused, %d of %d in use",
                        req.method(), req.path(), r.bytes(), budget.used(), budget.total());
                refuse(ctx, 503, String.format(Reasons.BUSY, budget.total()), true);
                return;
            }
            Admitted admitted = new Admitted(ctx.response(), r.bytes(), new AtomicBoolean());
            long timer =
                    ctx.vertx()
                            .setTimer(
                                    bodyTimeoutMs,
                                    id -> {
                                        if (!req.isEnded()) {
                                            slow.increment();
                                            refuse(
                                                    ctx,
                                                    408,
                                                    String.format(Reasons.SLOW, bodyTimeoutMs),
                                                    false);
                                        }
                                    });
            ctx.addEndHandler(
                    v -> {
                        ctx.vertx().cancelTimer(timer);
                        giveBack(admitted);
                    });
            // Quarkus REST replaces the response's close handler, and a body it cuts off with 413
            // closes the connection without ending the response: the sweep catches those.
            admittedNow.add(admitted);
            if (sweeping.compareAndSet(false, true)) {
                ctx.vertx().setPeriodic(SWEEP_MS, id -> sweep());
            }
            ctx.next();
        }
    }

    private void giveBack(Admitted a) {
        if (a.given().compareAndSet(false, true)) {
            budget.release(a.bytes());
            admittedNow.remove(a);
        }
    }

    private void sweep() {
        for (Admitted a : admittedNow) {
            if (a.response().ended() || a.response().closed()) {
                giveBack(a);
            }
        }
    }

    /**
     * Answers before the body is read and closes the connection (HTTP/1.x) so the rest of the body
     * is dropped by the kernel, never buffered.
     */
    private static void refuse(RoutingContext ctx, int status, String reason, boolean retry) {
        HttpServerRequest req = ctx.request();
        HttpServerResponse r = ctx.response();
        boolean http1 = req.version() != HttpVersion.HTTP_2;
        if (r.headWritten() || r.ended()) {
            if (http1) {
                req.connection().close();
            } else {
                r.reset();
            }
            return;
        }
        r.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (retry) {
            r.putHeader(HttpHeaders.RETRY_AFTER, "1");
        }
        if (http1) {
            r.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        r.end(new JsonObject().put("error", reason).encode())
                .onComplete(
                        done -> {
                            if (http1) {
                                req.connection().close();
                            }
                        });
    }
}
