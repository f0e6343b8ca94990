package dev.canaryrelease.gateway.rest;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import dev.canaryrelease.common.auth.TokenAuth;
import dev.canaryrelease.common.auth.Tokens.Caller;
import dev.canaryrelease.common.auth.Tokens.Role;
import dev.canaryrelease.events.messaging.EventPublisher;
import dev.canaryrelease.events.model.DeployRequested;
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.gateway.client.RegistryLookup;
import dev.canaryrelease.gateway.domain.ReleaseStore;

/**
 * The operators' commands on an app rather than on a release: deploy a chosen version of its image,
 * found in the registry by tag or digest.
 */
@Path("/apps")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "releases", description = "Release read model and operator commands")
@SecurityRequirement(name = GatewayApi.BEARER)
public class AppResource {
    private static final Logger LOG = Logger.getLogger(AppResource.class);

    /**
     * The body of a deploy: {@code ref} is a tag or a {@code sha256:} digest of the app's image in
     * the registry; {@code reason} is optional and goes into the audit trail.
     */
    public record DeployRequest(String ref, String reason) {}

    private final Fleet fleet;
    private final ReleaseStore store;
    private final TokenAuth auth;
    private final EventPublisher publisher;
    private final RegistryLookup registry;

    public AppResource(
            Fleet fleet,
            ReleaseStore store,
            TokenAuth auth,
            EventPublisher publisher,
            RegistryLookup registry) {
        this.fleet = fleet;
        this.store = store;
        this.auth = auth;
        this.publisher = publisher;
        this.registry = registry;
    }

    @POST
    @Path("/{app}/deploy")
    @Consumes(MediaType.WILDCARD)
    @Operation(
            summary =
                    "Deploy a chosen version of an app (operator): a new release of the image a"
                            + " tag or digest names, published as deploy.requested",
            description =
                    "The gateway finds the manifest digest of {ref} (a tag, or a sha256: digest)"
                            + " of the app's image in the registry (GET"
                            + " /v2/<image>/manifests/<ref> as its own, read-only registry user)"
                            + " and starts a new release of that digest (its id is in the answer):"
                            + " the canary first, then a promotion as for a pushed image, under the"
                            + " rule of one rollout per app (it waits behind a promotion, and"
                            + " replaces a canary of another image). This is how an operator"
                            + " redeploys an earlier version the registry still keeps.")
    @RequestBody(
            required = true,
            content = @Content(schema = @Schema(implementation = DeployRequest.class)))
    @APIResponse(
            responseCode = "202",
            description = "deploy.requested published for a new release",
            content =
                    @Content(
                            schema =
                                    @Schema(implementation = ReleaseResource.ReleaseStarted.class)))
    @APIResponse(
            responseCode = "400",
            description = "the body is not {ref, reason}, or ref is not a tag or sha256 digest")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "403", description = "viewer token")
    @APIResponse(
            responseCode = "404",
            description = "no such app in the fleet, or the registry has no such tag or digest")
    @APIResponse(
            responseCode = "409",
            description =
                    "a release of that image is already on its way, or every host already runs"
                            + " it; the body has the release and its state")
    @APIResponse(
            responseCode = "503",
            description = "the registry cannot be asked (down, credentials refused), or Kafka")
    public CompletionStage<Response> deploy(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @PathParam("app") String appName,
            byte[] body) {
        Caller caller = auth.require(authorization, Role.OPERATOR);
        Fleet.App app = fleet.app(appName).orElse(null);
        if (app == null) {
            return done(
                    Problems.of(
                            404,
                            "no app "
                                    + appName
                                    + " in the fleet; the apps are "
                                    + fleet.apps().stream().map(Fleet.App::name).toList()));
        }
        String ref;
        String reason;
        try {
            JsonNode n = ReleaseResource.object(body);
            ref = ref(n);
            reason = ReleaseResource.reason(body);
        } catch (IllegalArgumentException e) {
            return done(Problems.of(400, e.getMessage()));
        }
        String image = app.image();
        return registry.resolve(image, ref)
                .thenCompose(
                        answer -> {
                            if (answer instanceof RegistryLookup.Missing m) {
                                return done(
                                        Problems.of(
                                                404,
                                                m.sentence()
                                                        + "; a tag or digest of "
                                                        + image
                                                        + " the registry keeps is needed"));
                            }
                            if (answer instanceof RegistryLookup.Unavailable u) {
                                LOG.warnf("deploy of %s %s: %s", appName, ref, u.sentence());
                                return done(Problems.of(503, u.sentence()));
                            }
                            String digest = ((RegistryLookup.Found) answer).digest();
                            var refusal = store.deployRefusal(app.name(), digest);
                            if (refusal.isPresent()) {
                                var r = refusal.get();
                                return done(
                                        Problems.of(409, r.sentence(), "releaseId", r.releaseId()));
                            }
                            return publish(caller, app, image, ref, digest, reason);
                        });
    }

    private CompletionStage<Response> publish(
            Caller caller, Fleet.App app, String image, String ref, String digest, String reason) {
        String id = UUID.randomUUID().toString();
        String tag = ref.startsWith("sha256:") ? null : ref;
        var data =
                new DeployRequested(
                        id, app.name(), image, tag, digest, caller.name(), reason, null);
        return publisher
                .publish(data)
                .handle(
                        (e, err) -> {
                            if (err != null) {
                                LOG.errorf(
                                        "deploy of %s %s by %s not published: %s",
                                        app.name(), ref, caller.name(), err.toString());
                                return Problems.of(503, "the deploy could not be published");
                            }
                            LOG.infof(
                                    "app %s: deploy of %s (%s) requested by %s (%s): release %s",
                                    app.name(),
                                    ref,
                                    digest,
                                    caller.name(),
                                    reason == null ? "no reason given" : reason,
                                    id);
                            return Response.accepted(
                                            new ReleaseResource.ReleaseStarted(
                                                    id,
                                                    app.name(),
                                                    "deploy",
                                                    e.type().shortName(),
                                                    e.id(),
                                                    caller.name(),
                                                    reason,
                                                    image,
                                                    tag,
                                                    digest,
                                                    null))
                                    .build();
                        });
    }

    /** The required {@code ref} of a deploy body: a tag or a sha256 digest. */
    static String ref(JsonNode n) {
        JsonNode r = n == null ? null : n.get("ref");
        if (r == null || r.isNull()) {
            throw new IllegalArgumentException(
                    "the body needs ref, a tag or a sha256: digest of the app's image, e.g."
                            + " {\"ref\": \"v1\"}");
        }
        if (!r.isTextual()) {
            throw new IllegalArgumentException("ref must be a string");
        }
        String ref = r.asText().strip();
        if (ref.startsWith("sha256:")) {
            if (!RegistryLookup.DIGEST.matcher(ref).matches()) {
                throw new IllegalArgumentException(
                        "ref '" + ref + "' is not a digest: sha256: and 64 lower-case hex digits");
            }
        } else if (!RegistryLookup.TAG.matcher(ref).matches()) {
            throw new IllegalArgumentException(
                    "ref '"
                            + (ref.length() > 140 ? ref.substring(0, 140) + "…" : ref)
                            + "' is not a tag (letters, digits, _ . -, at most 128, not starting"
                            + " with . or -) or a sha256: digest");
        }
        return ref;
    }

    private static CompletionStage<Response> done(Response r) {
        return CompletableFuture.completedFuture(r);
    }
}
