package dev.canaryrelease.gateway.rest;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.BuildRequested;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.gateway.config.GatewayConfig;
import dev.canaryrelease.gateway.domain.DeliveryIndex;
import dev.canaryrelease.gateway.domain.DeliveryIndex.Accepted;
import dev.canaryrelease.gateway.domain.GithubWebhook;
import dev.canaryrelease.gateway.domain.WebhookSignature;
import dev.canaryrelease.gateway.messaging.ReplayTracker;

/** GitHub's webhook: a verified push to an app's branch becomes a release and a build request. */
@Path("/webhooks/github")
@Tag(name = "webhooks", description = "GitHub webhook deliveries")
public class WebhookResource {
    private static final Logger LOG = Logger.getLogger(WebhookResource.class);

    private final WebhookSignature signature;
    private final GithubWebhook github;
    private final DeliveryIndex deliveries;
    private final EventPublisher publisher;
    private final long maxPayload;
    private final ReplayTracker replay;

    public WebhookResource(
            WebhookSignature signature,
            Fleet fleet,
            DeliveryIndex deliveries,
            EventPublisher publisher,
            GatewayConfig config,
            ReplayTracker replay) {
        this.replay = replay;
        this.signature = signature;
        this.github = new GithubWebhook(fleet);
        this.deliveries = deliveries;
        this.publisher = publisher;
        this.maxPayload = config.maxPayloadBytes();
    }

    /** How long a push waits for the start-up replay before 503 (GitHub gives up at 10 s). */
    static final long REPLAY_WAIT_SECONDS = 8;

    /** The release id of a delivery: the same delivery always names the same release. */
    static String releaseIdOf(String deliveryId) {
        return UUID.nameUUIDFromBytes(
                        ("github-delivery:" + deliveryId).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(
            summary = "Receive a GitHub webhook delivery",
            description =
                    "Verifies X-Hub-Signature-256 over the raw body. A push to the branch of an app"
                            + " of the fleet starts a release (one build.requested); the same"
                            + " X-GitHub-Delivery again returns the same release (202), the same"
                            + " app and commit under another delivery id answers 200 {duplicateOf}:"
                            + " neither publishes anything.")
    @APIResponse(
            responseCode = "200",
            description =
                    "ping answered, or a push of an app and commit already built ({duplicateOf:"
                            + " releaseId, …}): nothing started")
    @APIResponse(
            responseCode = "202",
            description =
                    "push accepted ({releaseId, …} and Location: /releases/{id}) or ignored"
                            + " ({ignored: reason})")
    @APIResponse(responseCode = "400", description = "malformed delivery, with the reason")
    @APIResponse(responseCode = "401", description = "missing or wrong signature")
    @APIResponse(
            responseCode = "413",
            description = "body over canary.gateway.max-payload-bytes (4 MiB)")
    @APIResponse(responseCode = "415", description = "content type not JSON nor form")
    @APIResponse(
            responseCode = "503",
            description =
                    "Kafka did not take the build request, or the start-up replay took over 8 s")
    public CompletionStage<Response> receive(
            @Parameter(description = "push, ping, …") @HeaderParam("X-GitHub-Event") String event,
            @HeaderParam("X-GitHub-Delivery") String deliveryId,
            @HeaderParam("X-Hub-Signature-256") String sig,
            @HeaderParam("Content-Type") String contentType,
            byte[] body) {
        byte[] raw = body == null ? new byte[0] : body;
        if (raw.length > maxPayload) {
            return done(
                    Problems.of(
                            413,
                            "payload of "
                                    + raw.length
                                    + " bytes is over the "
                                    + maxPayload
                                    + " bytes the gateway reads"));
        }
        if (sig == null || sig.isBlank()) {
            return done(Problems.of(401, "missing X-Hub-Signature-256"));
        }
        if (!signature.verify(sig, raw)) {
            LOG.warnf("webhook delivery %s: signature does not match", deliveryId);
            return done(Problems.of(401, "X-Hub-Signature-256 does not match the body"));
        }
        if (deliveryId == null || deliveryId.isBlank()) {
            return done(Problems.of(400, "missing X-GitHub-Delivery header"));
        }
        GithubWebhook.Outcome outcome = github.interpret(event, contentType, raw);
        if (outcome instanceof GithubWebhook.Malformed m) {
            return done(Problems.of(400, m.reason()));
        }
        if (outcome instanceof GithubWebhook.UnsupportedType u) {
            return done(Problems.of(415, u.reason()));
        }
        if (outcome instanceof GithubWebhook.Pong p) {
            Map<String, Object> pong = new LinkedHashMap<>();
            pong.put("pong", true);
            pong.put("zen", p.zen());
            pong.put("hookId", p.hookId());
            return done(Response.ok(pong).build());
        }
        if (outcome instanceof GithubWebhook.Ignored i) {
            return done(Response.accepted(Map.of("ignored", i.reason())).build());
        }
        GithubWebhook.Build build = (GithubWebhook.Build) outcome;
        if (replay.ready()) {
            return build(deliveryId, build);
        }
        // Right after a start the delivery index is not rebuilt yet: hold the push (GitHub waits
        // 10 s and does not retry by itself) rather than risk a second build of a redelivery.
        return replay.whenReady()
                .toCompletableFuture()
                .orTimeout(REPLAY_WAIT_SECONDS, TimeUnit.SECONDS)
                .handle((ok, err) -> err)
                .thenCompose(
                        err ->
                                err == null
                                        ? build(deliveryId, build)
                                        : done(
                                                Response.fromResponse(
                                                                Problems.of(
                                                                        503,
                                                                        "the read model is"
                                                                                + " replaying the"
                                                                                + " event topics"))
                                                        .header("Retry-After", "1")
                                                        .build()));
    }

    private CompletionStage<Response> build(String deliveryId, GithubWebhook.Build b) {
        CompletableFuture<Accepted> mine = new CompletableFuture<>();
        DeliveryIndex.Earlier earlier = deliveries.claim(deliveryId, b.app(), b.commitSha(), mine);
        if (earlier != null) {
            return earlier.outcome()
                    .handle(
                            (a, err) ->
                                    err != null
                                            ? Problems.of(
                                                    503,
                                                    "the first delivery could not be published")
                                            : seenBefore(earlier.seen(), a, deliveryId));
        }
        String releaseId = releaseIdOf(deliveryId);
        BuildRequested req =
                new BuildRequested(
                        releaseId,
                        b.app(),
                        b.repository(),
                        b.cloneUrl(),
                        b.ref(),
                        b.commitSha(),
                        b.pusher(),
                        deliveryId);
        Accepted accepted = new Accepted(releaseId, b.app(), b.ref(), b.commitSha(), deliveryId);
        CompletionStage<?> sent;
        try {
            sent = publisher.publish(req);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle(
                (e, err) -> {
                    if (err != null) {
                        deliveries.release(deliveryId, b.app(), b.commitSha(), mine, err);
                        LOG.errorf(
                                "webhook delivery %s: build.requested not published: %s",
                                deliveryId, err.toString());
                        return Problems.of(503, "the build request could not be published");
                    }
                    deliveries.complete(mine, accepted);
                    LOG.infof(
                            "release %s: push of %s %s at %s by %s (delivery %s)",
                            releaseId, b.app(), b.ref(), b.commitSha(), b.pusher(), deliveryId);
                    return accepted(accepted, deliveryId, false);
                });
    }

    /**
     * An earlier push already made this release: the same delivery again (202, as the first answer)
     * or the same app and commit under another delivery id (200 {@code duplicateOf}).
     */
    private static Response seenBefore(DeliveryIndex.Seen seen, Accepted a, String deliveryId) {
        if (seen == DeliveryIndex.Seen.REDELIVERY) {
            return accepted(a, deliveryId, true);
        }
        LOG.infof(
                "release %s: delivery %s is a duplicate of %s at %s (first delivery %s): nothing"
                        + " started",
                a.releaseId(), deliveryId, a.app(), a.commitSha(), a.deliveryId());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("duplicateOf", a.releaseId());
        m.put("releaseId", a.releaseId());
        m.put("app", a.app());
        m.put("ref", a.ref());
        m.put("commitSha", a.commitSha());
        m.put("deliveryId", deliveryId);
        m.put("firstDeliveryId", a.deliveryId());
        m.put("redelivery", false);
        m.put("reason", String.format(DUPLICATE_COMMIT, a.app(), a.commitSha(), a.releaseId()));
        return Response.ok(m).location(URI.create("/releases/" + a.releaseId())).build();
    }

    /** The reason of a duplicate push (app, commit, release). */
    static final String DUPLICATE_COMMIT =
            "app %s at commit %s is already release %s: a push is built once per app and commit";

    private static Response accepted(Accepted a, String deliveryId, boolean redelivery) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("releaseId", a.releaseId());
        m.put("app", a.app());
        m.put("ref", a.ref());
        m.put("commitSha", a.commitSha());
        m.put("deliveryId", deliveryId);
        m.put("redelivery", redelivery);
        return Response.accepted(m).location(URI.create("/releases/" + a.releaseId())).build();
    }

    private static CompletionStage<Response> done(Response r) {
        return CompletableFuture.completedFuture(r);
    }
}
