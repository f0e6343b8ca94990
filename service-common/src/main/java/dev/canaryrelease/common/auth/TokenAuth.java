package dev.canaryrelease.common.auth;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.canaryrelease.common.auth.Tokens.Caller;
import dev.canaryrelease.common.auth.Tokens.Role;

/**
 * The bearer-token check of every service's HTTP API: {@code Authorization: Bearer <token>} with a
 * token of the {@link Tokens} file. A missing, malformed or unknown token is a 401 with {@code
 * WWW-Authenticate: Bearer realm="canary-release"}; a known token without the role is a 403. The
 * body is {@code {"error": reason}} and never repeats the token.
 */
@ApplicationScoped
public class TokenAuth {
    /** The request property that holds the {@link Caller} once {@link #refusal} let it in. */
    public static final String CALLER = "dev.canaryrelease.common.auth.caller";

    static final String REALM = "Bearer realm=\"canary-release\"";

    private final Tokens tokens;

    public TokenAuth(Tokens tokens) {
        this.tokens = tokens;
    }

    /**
     * The caller of an {@code Authorization} header that has at least {@code needed}.
     *
     * @throws WebApplicationException 401 or 403
     */
    public Caller require(String authorization, Role needed) {
        if (authorization == null || authorization.isBlank()) {
            throw unauthorized("missing bearer token");
        }
        String a = authorization.strip();
        if (a.length() < 7 || !a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            throw unauthorized("the Authorization header is not a bearer token");
        }
        Caller caller =
                tokens.lookup(a.substring(7).strip())
                        .orElseThrow(() -> unauthorized("unknown token"));
        if (!caller.role().allows(needed)) {
            throw new WebApplicationException(
                    problem(
                            403,
                            caller.name()
                                    + " is a "
                                    + caller.role().name().toLowerCase(Locale.ROOT)
                                    + ": this needs the "
                                    + needed.name().toLowerCase(Locale.ROOT)
                                    + " role"));
        }
        return caller;
    }

    /**
     * The role a request needs: a read ({@code GET}, {@code HEAD}, {@code OPTIONS}) the viewer's,
     * anything else (a write) the operator's.
     */
    public static Role neededFor(String httpMethod) {
        return switch (httpMethod.toUpperCase(Locale.ROOT)) {
            case "GET", "HEAD", "OPTIONS" -> Role.VIEWER;
            default -> Role.OPERATOR;
        };
    }

    /**
     * The answer to a request of a service's API that may not go on, or empty when its token has
     * the role {@link #neededFor its method} (the caller is then the request's {@link #CALLER}
     * property). An endpoint marked {@link OwnAuthentication} is left to its own check.
     */
    public Optional<Response> refusal(ContainerRequestContext request, ResourceInfo resource) {
        if (ownAuthentication(resource)) {
            return Optional.empty();
        }
        try {
            Caller caller =
                    require(
                            request.getHeaderString(HttpHeaders.AUTHORIZATION),
                            neededFor(request.getMethod()));
            request.setProperty(CALLER, caller);
            return Optional.empty();
        } catch (WebApplicationException e) {
            return Optional.of(e.getResponse());
        }
    }

    private static boolean ownAuthentication(ResourceInfo resource) {
        if (resource == null) {
            return false;
        }
        return (resource.getResourceMethod() != null
                        && resource.getResourceMethod()
                                .isAnnotationPresent(OwnAuthentication.class))
                || (resource.getResourceClass() != null
                        && resource.getResourceClass()
                                .isAnnotationPresent(OwnAuthentication.class));
    }

    static Response problem(int status, String reason) {
        return Response.status(status)
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Map.of("error", reason))
                .build();
    }

    static WebApplicationException unauthorized(String reason) {
        return new WebApplicationException(
                Response.fromResponse(problem(401, reason))
                        .header(HttpHeaders.WWW_AUTHENTICATE, REALM)
                        .build());
    }
}
