package dev.canaryrelease.gateway.rest;

import java.io.IOException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.canaryrelease.common.auth.TokenAuth;
import dev.canaryrelease.common.auth.Tokens.Caller;
import dev.canaryrelease.common.auth.Tokens.Role;
import dev.canaryrelease.events.codec.CloudEventCodec;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.AbortRequested;
import dev.canaryrelease.events.model.CanaryEvent;
import dev.canaryrelease.events.model.PauseRequested;
import dev.canaryrelease.events.model.PromotionRequested;
import dev.canaryrelease.events.model.ResumeRequested;
import dev.canaryrelease.events.model.RollbackRequested;
import dev.canaryrelease.events.release.OperatorCommand;
import dev.canaryrelease.events.release.Phase;
import dev.canaryrelease.gateway.config.GatewayConfig;
import dev.canaryrelease.gateway.domain.ReleaseStore;
import dev.canaryrelease.gateway.domain.Views;

/**
 * The operator API: releases as the events describe them, and the operators' commands (the rule
 * table of where each is taken: {@link OperatorCommand}).
 */
@Path("/releases")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "releases", description = "Release read model and operator commands")
@SecurityRequirement(name = GatewayApi.BEARER)
public class ReleaseResource {
    private static final Logger LOG = Logger.getLogger(ReleaseResource.class);

    /** The body of a command; {@code reason} is optional and goes into the audit trail. */
    public record CommandRequest(String reason) {}

    /**
     * The body of a promote; {@code full: true} skips the remaining steps and the bake time (from
     * CANARY_LIVE or during PROMOTING).
     */
    public record PromoteRequest(String reason, Boolean full) {}

    /** The answer to an accepted command. */
    public record CommandAccepted(
            String releaseId,
            String command,
            String type,
            String eventId,
            String operator,
            String reason) {}

    /** The answer to an accepted retry or deploy: the new release. */
    public record ReleaseStarted(
            String releaseId,
            String app,
            String command,
            String type,
            String eventId,
            String operator,
            String reason,
            String image,
            String tag,
            String digest,
            String retryOf) {}

    /**
     * The event that asks deploy-service for {@code command}; it names the release's app, its Kafka
     * key, so it goes down the partition of the app's other events to the deploy-service instance
     * that owns the app.
     */
    private static CanaryEvent event(
            OperatorCommand command, String releaseId, String app, String operator, String reason) {
        return switch (command) {
            case PROMOTE -> new PromotionRequested(releaseId, app, operator, reason, false);
            case FULL_PROMOTE -> new PromotionRequested(releaseId, app, operator, reason, true);
            case ABORT -> new AbortRequested(releaseId, app, operator, reason);
            case ROLLBACK -> new RollbackRequested(releaseId, app, operator, reason);
            case PAUSE -> new PauseRequested(releaseId, app, operator, reason);
            case RESUME -> new ResumeRequested(releaseId, app, operator, reason);
            case RETRY ->
                    throw new IllegalArgumentException(
                            "a retry is a deploy.requested of a new release: see retry()");
        };
    }

    private final ReleaseStore store;
    private final TokenAuth auth;
    private final EventPublisher publisher;
    private final GatewayConfig config;

    public ReleaseResource(
            ReleaseStore store, TokenAuth auth, EventPublisher publisher, GatewayConfig config) {
        this.store = store;
        this.auth = auth;
        this.publisher = publisher;
        this.config = config;
    }

    @GET
    @Operation(summary = "List releases, newest first (viewer)")
    @APIResponse(responseCode = "200", description = "a page of releases")
    @APIResponse(responseCode = "400", description = "bad filter or page")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    public Response list(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @Parameter(description = "app name") @QueryParam("app") String app,
            @Parameter(description = "state(s), comma separated, e.g. CANARY_LIVE")
                    @QueryParam("state")
                    String state,
            @Parameter(description = "page number from 0") @QueryParam("page") Integer page,
            @Parameter(description = "page size") @QueryParam("size") Integer size) {
        auth.require(authorization, Role.VIEWER);
        Set<Phase> states = EnumSet.noneOf(Phase.class);
        if (state != null && !state.isBlank()) {
            for (String s : state.split(",")) {
                try {
                    states.add(Phase.valueOf(s.strip().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    return Problems.of(
                            400,
                            "unknown state '"
                                    + s.strip()
                                    + "'; one of "
                                    + Arrays.toString(Phase.values()));
                }
            }
        }
        int p = page == null ? 0 : page;
        int n = size == null ? config.defaultPageSize() : size;
        if (p < 0 || n < 1 || n > config.maxPageSize()) {
            return Problems.of(
                    400, "page must be >= 0 and size between 1 and " + config.maxPageSize());
        }
        return Response.ok(store.list(app, states, p, n)).build();
    }

    @GET
    @Path("/{id}")
    @Operation(
            summary = "One release (viewer)",
            description =
                    "State, commit, image digest, every docker host's current digest and LB state,"
                            + " and the timeline of the release's events with their times.")
    @APIResponse(
            responseCode = "200",
            content = @Content(schema = @Schema(implementation = Views.ReleaseDetail.class)))
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "404", description = "unknown release")
    public Response get(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id) {
        auth.require(authorization, Role.VIEWER);
        return store.detail(id)
                .map(d -> Response.ok(d).build())
                .orElseGet(() -> Problems.of(404, "no release " + id));
    }

    @POST
    @Path("/{id}/promote")
    @Consumes(MediaType.WILDCARD)
    @Operation(
            summary = "Promote a live canary (operator): publishes promotion.requested",
            description =
                    "With {\"full\": true} (command full-promote) the remaining steps and the bake"
                            + " time are skipped: from CANARY_LIVE or during PROMOTING, every"
                            + " production host not yet done is one last batch (still at most"
                            + " maxUnavailable hosts out of the pool at once).")
    @RequestBody(
            required = false,
            content = @Content(schema = @Schema(implementation = PromoteRequest.class)))
    @APIResponse(responseCode = "202", description = "promotion.requested published")
    @APIResponse(responseCode = "400", description = "the body is not {reason, full}")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "403", description = "viewer token")
    @APIResponse(responseCode = "404", description = "unknown release")
    @APIResponse(
            responseCode = "409",
            description =
                    "not CANARY_LIVE (full: not CANARY_LIVE or PROMOTING); the body has the state")
    public CompletionStage<Response> promote(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id,
            byte[] body) {
        // the token first: an unauthenticated caller learns nothing, not even that its body is bad
        Caller caller = auth.require(authorization, Role.OPERATOR);
        boolean full;
        try {
            full = flag(body, "full");
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Problems.of(400, e.getMessage()));
        }
        return command(
                full ? OperatorCommand.FULL_PROMOTE : OperatorCommand.PROMOTE, caller, id, body);
    }

    @POST
    @Path("/{id}/abort")
    @Consumes(MediaType.WILDCARD)
    @Operation(
            summary =
                    "Abort a canary or a promotion (operator): publishes abort.requested;"
                            + " allowed from PENDING to PROMOTING and PAUSED, a queued release"
                            + " too")
    @RequestBody(
            required = false,
            content = @Content(schema = @Schema(implementation = CommandRequest.class)))
    @APIResponse(responseCode = "202", description = "abort.requested published")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "403", description = "viewer token")
    @APIResponse(responseCode = "404", description = "unknown release")
    @APIResponse(
            responseCode = "409",
            description = "cannot be aborted now; the body has the state")
    public CompletionStage<Response> abort(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id,
            byte[] body) {
        return command(OperatorCommand.ABORT, auth.require(authorization, Role.OPERATOR), id, body);
    }

    @POST
    @Path("/{id}/rollback")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Roll back a promoted release (operator): publishes rollback.requested")
    @RequestBody(
            required = false,
            content = @Content(schema = @Schema(implementation = CommandRequest.class)))
    @APIResponse(responseCode = "202", description = "rollback.requested published")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "403", description = "viewer token")
    @APIResponse(responseCode = "404", description = "unknown release")
    @APIResponse(responseCode = "409", description = "not PROMOTED; the body has the state")
    public CompletionStage<Response> rollback(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id,
            byte[] body) {
        return command(
                OperatorCommand.ROLLBACK, auth.require(authorization, Role.OPERATOR), id, body);
    }

    @POST
    @Path("/{id}/pause")
    @Consumes(MediaType.WILDCARD)
    @Operation(
            summary = "Pause a promotion between batches (operator): publishes pause.requested",
            description =
                    "deploy-service lets the batch in flight finish and starts no next batch until"
                            + " a resume; the release is PAUSED (it still holds the app's slot, a"
                            + " new image waits). The time paused does not count against the"
                            + " promotion deadline. Paused in the last batch, the release ends"
                            + " PROMOTED when that batch is done.")
    @RequestBody(
            required = false,
            content = @Content(schema = @Schema(implementation = CommandRequest.class)))
    @APIResponse(responseCode = "202", description = "pause.requested published")
    @APIResponse(responseCode = "400", description = "the body is not {reason}")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "403", description = "viewer token")
    @APIResponse(responseCode = "404", description = "unknown release")
    @APIResponse(responseCode = "409", description = "not PROMOTING; the body has the state")
    public CompletionStage<Response> pause(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id,
            byte[] body) {
        return command(OperatorCommand.PAUSE, auth.require(authorization, Role.OPERATOR), id, body);
    }

    @POST
    @Path("/{id}/resume")
    @Consumes(MediaType.WILDCARD)
    @Operation(
            summary = "Resume a paused promotion (operator): publishes resume.requested",
            description = "The release is PROMOTING again and its next batch starts.")
    @RequestBody(
            required = false,
            content = @Content(schema = @Schema(implementation = CommandRequest.class)))
    @APIResponse(responseCode = "202", description = "resume.requested published")
    @APIResponse(responseCode = "400", description = "the body is not {reason}")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "403", description = "viewer token")
    @APIResponse(responseCode = "404", description = "unknown release")
    @APIResponse(responseCode = "409", description = "not PAUSED; the body has the state")
    public CompletionStage<Response> resume(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id,
            byte[] body) {
        return command(
                OperatorCommand.RESUME, auth.require(authorization, Role.OPERATOR), id, body);
    }

    @POST
    @Path("/{id}/retry")
    @Consumes(MediaType.WILDCARD)
    @Operation(
            summary =
                    "Retry a failed release (operator): a new release of its image, published as"
                            + " deploy.requested with retryOf",
            description =
                    "The failed release stays as it ended; the new one (its id is in the answer)"
                            + " rolls the same image digest out from the canary on, under the"
                            + " rule of one rollout per app (it waits behind a promotion, and"
                            + " replaces a canary of another image). A release that failed before"
                            + " it had an image (its build failed) cannot be retried: push again.")
    @RequestBody(
            required = false,
            content = @Content(schema = @Schema(implementation = CommandRequest.class)))
    @APIResponse(
            responseCode = "202",
            description = "deploy.requested published for a new release",
            content = @Content(schema = @Schema(implementation = ReleaseStarted.class)))
    @APIResponse(responseCode = "400", description = "the body is not {reason}")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "403", description = "viewer token")
    @APIResponse(responseCode = "404", description = "unknown release")
    @APIResponse(
            responseCode = "409",
            description = "not FAILED, or it failed before it had an image; the body has the state")
    public CompletionStage<Response> retry(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("id") String id,
            byte[] body) {
        Caller caller = auth.require(authorization, Role.OPERATOR);
        String reason;
        try {
            reason = reason(body);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Problems.of(400, e.getMessage()));
        }
        var target = store.commandTarget(id);
        var detail = store.detail(id);
        if (target.isEmpty() || detail.isEmpty()) {
            return CompletableFuture.completedFuture(Problems.of(404, "no release " + id));
        }
        Phase state = target.get().state();
        OperatorCommand command = OperatorCommand.RETRY;
        if (command.refusal(state) != null) {
            return CompletableFuture.completedFuture(refused(command, id, state));
        }
        Views.ReleaseDetail d = detail.get();
        if (d.digest() == null || d.image() == null) {
            return CompletableFuture.completedFuture(
                    Problems.of(
                            409,
                            "release "
                                    + id
                                    + " failed before it had an image ("
                                    + (d.reason() == null ? "no image was pushed" : d.reason())
                                    + "): there is nothing to retry; push the commit again",
                            "state",
                            state));
        }
        String newId = java.util.UUID.randomUUID().toString();
        var data =
                new dev.canaryrelease.events.model.DeployRequested(
                        newId, d.app(), d.image(), d.tag(), d.digest(), caller.name(), reason, id);
        return publisher
                .publish(target.get().latest(), data)
                .handle(
                        (e, err) -> {
                            if (err != null) {
                                LOG.errorf(
                                        "release %s: retry by %s not published: %s",
                                        id, caller.name(), err.toString());
                                return Problems.of(503, "the retry could not be published");
                            }
                            LOG.infof(
                                    "release %s: retry requested by %s (%s): new release %s of %s",
                                    id,
                                    caller.name(),
                                    reason == null ? "no reason given" : reason,
                                    newId,
                                    d.digest());
                            return Response.accepted(
                                            new ReleaseStarted(
                                                    newId,
                                                    d.app(),
                                                    command.verb(),
                                                    e.type().shortName(),
                                                    e.id(),
                                                    caller.name(),
                                                    reason,
                                                    d.image(),
                                                    d.tag(),
                                                    d.digest(),
                                                    id))
                                    .build();
                        });
    }

    /** The 409 of a command not taken in {@code state}, by the one rule table. */
    private static Response refused(OperatorCommand command, String id, Phase state) {
        return Problems.of(
                409,
                "release "
                        + id
                        + " is "
                        + state
                        + ": "
                        + command.verb()
                        + " needs "
                        + command.allowedIn()
                        + " ("
                        + command.whyNot()
                        + ")",
                "state",
                state);
    }

    private CompletionStage<Response> command(
            OperatorCommand command, Caller caller, String id, byte[] body) {
        String reason;
        try {
            reason = reason(body);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Problems.of(400, e.getMessage()));
        }
        var target = store.commandTarget(id);
        if (target.isEmpty()) {
            return CompletableFuture.completedFuture(Problems.of(404, "no release " + id));
        }
        Phase state = target.get().state();
        boolean behindPromote = command.refusal(state) != null;
        if (behindPromote && !pauseAfterPromote(command, target.get())) {
            // the same rule table deploy-service refuses by
            return CompletableFuture.completedFuture(refused(command, id, state));
        }
        CanaryEvent data = event(command, id, target.get().app(), caller.name(), reason);
        // a pause behind a promote is caused by that promote, whatever analysis came after it
        return publisher
                .publish(behindPromote ? target.get().lastStep() : target.get().latest(), data)
                .handle(
                        (e, err) -> {
                            if (err != null) {
                                LOG.errorf(
                                        "release %s: %s by %s not published: %s",
                                        id, command.verb(), caller.name(), err.toString());
                                return Problems.of(
                                        503, "the " + command.verb() + " could not be published");
                            }
                            LOG.infof(
                                    "release %s: %s requested by %s (%s)",
                                    id,
                                    command.verb(),
                                    caller.name(),
                                    reason == null ? "no reason given" : reason);
                            return Response.accepted(
                                            new CommandAccepted(
                                                    id,
                                                    command.verb(),
                                                    e.type().shortName(),
                                                    e.id(),
                                                    caller.name(),
                                                    reason))
                                    .build();
                        });
    }

    /**
     * A pause right after a promote: the release is still CANARY_LIVE here, but its latest event
     * (the canary analysis's windows and verdicts aside) is the promotion.requested deploy-service
     * has not answered yet. deploy-service reads both from the release's partition in order, so it
     * takes the promote (PROMOTING, the first batch starts) and then the pause (PAUSED once that
     * batch is done): a promotion that holds after its first batch, whatever the batch's speed. If
     * deploy-service refuses the promote, it refuses the pause too ({@code promotion.rejected}).
     */
    private static boolean pauseAfterPromote(
            OperatorCommand command, ReleaseStore.CommandTarget target) {
        return command == OperatorCommand.PAUSE
                && target.state() == Phase.CANARY_LIVE
                && target.lastStep() != null
                && target.lastStep().data() instanceof PromotionRequested;
    }

    /** The JSON object of a command body (empty body: none). */
    static JsonNode object(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        JsonNode n;
        try {
            n = CloudEventCodec.JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("the body is not JSON {\"reason\": \"…\"}");
        }
        if (n == null || n.isMissingNode()) {
            return null;
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException("the body is not a JSON object");
        }
        return n;
    }

    /** An optional boolean field of a command body (absent or null: false). */
    static boolean flag(byte[] body, String name) {
        JsonNode n = object(body);
        JsonNode f = n == null ? null : n.get(name);
        if (f == null || f.isNull()) {
            return false;
        }
        if (!f.isBoolean()) {
            throw new IllegalArgumentException(name + " must be true or false");
        }
        return f.booleanValue();
    }

    /** The optional {@code reason} of a command body (empty body: none). */
    static String reason(byte[] body) {
        JsonNode n = object(body);
        if (n == null) {
            return null;
        }
        JsonNode r = n.get("reason");
        if (r == null || r.isNull()) {
            return null;
        }
        if (!r.isTextual()) {
            throw new IllegalArgumentException("reason must be a string");
        }
        return r.asText().length() > 1000 ? r.asText().substring(0, 1000) : r.asText();
    }
}
