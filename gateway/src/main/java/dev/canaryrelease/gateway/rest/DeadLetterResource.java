package dev.canaryrelease.gateway.rest;

import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

import dev.canaryrelease.common.auth.TokenAuth;
import dev.canaryrelease.common.auth.Tokens.Role;
import dev.canaryrelease.gateway.client.DeadLetterReader;
import dev.canaryrelease.gateway.config.GatewayConfig;

/**
 * The records the suite's services moved aside (unreadable, or their handler failed), newest first,
 * with SmallRye's reason, for operators (viewer role). Bounded: at most {@link #MAX_LIMIT} a page;
 * {@code next} is the cursor of the next, older page.
 */
@Path("/dead-letters")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "dead letters", description = "Records the services moved to their dead-letter topics")
@SecurityRequirement(name = GatewayApi.BEARER)
public class DeadLetterResource {
    /** The largest page. */
    public static final int MAX_LIMIT = 200;

    private static final Logger LOG = Logger.getLogger(DeadLetterResource.class);

    private final DeadLetterReader reader;
    private final TokenAuth auth;
    private final List<String> topics;

    public DeadLetterResource(DeadLetterReader reader, TokenAuth auth, GatewayConfig config) {
        this.reader = reader;
        this.auth = auth;
        this.topics = List.copyOf(config.deadLetterTopics());
    }

    @GET
    @Operation(summary = "Dead-lettered records of every service, newest first (viewer)")
    @APIResponse(responseCode = "200", description = "a page: deadLetters, next (older page)")
    @APIResponse(responseCode = "400", description = "bad limit, topic or cursor")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    @APIResponse(responseCode = "503", description = "the broker cannot be read")
    public Response list(
            @HeaderParam(HttpHeaders.AUTHORIZATION) String authorization,
            @QueryParam("limit") String limit,
            @QueryParam("topic") String topic,
            @QueryParam("before") String before) {
        auth.require(authorization, Role.VIEWER);
        int n;
        try {
            n = limit == null || limit.isBlank() ? 50 : Integer.parseInt(limit.strip());
        } catch (NumberFormatException e) {
            return Problems.of(400, "limit must be a number from 1 to " + MAX_LIMIT);
        }
        if (n < 1 || n > MAX_LIMIT) {
            return Problems.of(400, "limit must be a number from 1 to " + MAX_LIMIT);
        }
        List<String> read = topics;
        if (topic != null && !topic.isBlank()) {
            if (!topics.contains(topic.strip())) {
                return Problems.of(400, "unknown dead-letter topic", "topics", topics);
            }
            read = List.of(topic.strip());
        }
        Long cursor = null;
        if (before != null && !before.isBlank()) {
            try {
                cursor = Long.parseLong(before.strip());
            } catch (NumberFormatException e) {
                return Problems.of(400, "before must be the next cursor of a previous page");
            }
            if (cursor < 0) {
                return Problems.of(400, "before must be the next cursor of a previous page");
            }
        }
        try {
            return Response.ok(reader.read(read, n, cursor)).build();
        } catch (DeadLetterReader.Unavailable e) {
            LOG.warnf("GET /dead-letters: %s", e.getMessage());
            return Response.fromResponse(
                            Problems.of(503, "the dead-letter topics cannot be read now"))
                    .header("Retry-After", "5")
                    .build();
        }
    }
}
