package dev.canaryrelease.gateway.rest;

import java.util.Locale;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.canaryrelease.common.auth.TokenAuth;
import dev.canaryrelease.common.auth.Tokens.Caller;
import dev.canaryrelease.common.auth.Tokens.Role;

/**
 * {@code GET /whoami}: the name and role of the caller's token, so the dashboard shows the operator
 * verbs only to an operator (the verbs check the role themselves, whatever a page shows).
 */
@Path("/whoami")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "session", description = "Who a token is")
@SecurityRequirement(name = GatewayApi.BEARER)
public class WhoAmIResource {
    /** The caller: the token's name (the operator in the audit trail) and its role. */
    public record WhoAmI(String name, String role) {}

    private final TokenAuth auth;

    public WhoAmIResource(TokenAuth auth) {
        this.auth = auth;
    }

    @GET
    @Operation(summary = "The name and role (viewer or operator) of the token (viewer)")
    @APIResponse(responseCode = "200", description = "name and role")
    @APIResponse(responseCode = "401", description = "no or unknown token")
    public WhoAmI whoami(@HeaderParam(HttpHeaders.AUTHORIZATION) String authorization) {
        Caller caller = auth.require(authorization, Role.VIEWER);
        return new WhoAmI(caller.name(), caller.role().name().toLowerCase(Locale.ROOT));
    }
}
